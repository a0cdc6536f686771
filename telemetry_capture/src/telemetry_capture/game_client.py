"""Game mode: subscribe to a game's Remote Telemetry and capture it.

Two sockets (reference A.1: one subscription type per endpoint): one subscribes to
updates (RTCarInfo), the other to spot events (RTLap). Each handshakes, retrying until
the game answers; when updates go silent (session change, game closed) both handshake
again. On exit both are dismissed.
"""

from __future__ import annotations

import logging
import socket
from dataclasses import dataclass
from typing import Any, Literal

from telemetry_capture.game_protocol import (
    OP_DISMISS,
    OP_HANDSHAKE,
    OP_SUBSCRIBE_SPOT,
    OP_SUBSCRIBE_UPDATE,
    encode_handshaker,
)
from telemetry_capture.receiver import Receiver, open_udp_socket

__all__ = ["GameLink", "LinkState"]

log = logging.getLogger(__name__)
LinkState = Literal["handshaking", "subscribed"]


@dataclass
class _Channel:
    role: Literal["update", "spot"]
    operation: int
    receiver: Receiver
    state: LinkState = "handshaking"
    next_try: float = 0.0
    handshakes_sent: int = 0


class GameLink:
    """Handshake/subscribe/silence/dismiss state machine for the two game sockets."""

    def __init__(
        self,
        game: tuple[str, int],
        *,
        bind_host: str | None = None,
        retry_interval: float = 1.0,
        silence_timeout: float = 3.0,
        slots: int = 4096,
    ) -> None:
        self.game = game
        self.retry_interval = retry_interval
        self.silence_timeout = silence_timeout
        self.channels = [
            _Channel(
                role,
                op,
                Receiver(
                    open_udp_socket((bind_host, 0) if bind_host else None, connect=game),
                    role=role,
                    slots=n,
                    slot_size=1024,
                ),
            )
            for role, op, n in (
                ("update", OP_SUBSCRIBE_UPDATE, slots),
                ("spot", OP_SUBSCRIBE_SPOT, 64),
            )
        ]
        self.resubscriptions = 0
        self.session: dict[str, Any] | None = None

    @property
    def receivers(self) -> list[Receiver]:
        return [c.receiver for c in self.channels]

    @property
    def state(self) -> LinkState:
        return self.channels[0].state

    def _send(self, channel: _Channel, operation: int) -> None:
        try:
            channel.receiver.sock.send(encode_handshaker(operation))
        except OSError as exc:  # game not there yet (ICMP refused) or network down
            log.debug("send to game failed: %s", exc)

    def tick(self, now: float) -> None:
        update = self.channels[0]
        if update.state == "subscribed" and now - update.receiver.last_rx > self.silence_timeout:
            log.info("no updates for %.1f s: handshaking again", self.silence_timeout)
            self.resubscriptions += 1
            for channel in self.channels:
                channel.state = "handshaking"
                channel.next_try = now
        for channel in self.channels:
            if channel.state == "handshaking" and now >= channel.next_try:
                self._send(channel, OP_HANDSHAKE)
                channel.handshakes_sent += 1
                channel.next_try = now + self.retry_interval

    def on_handshake(self, receiver: Receiver, response: dict[str, Any]) -> None:
        """A handshake response arrived on one socket: subscribe that socket."""
        for channel in self.channels:
            if channel.receiver is receiver:
                if channel.state != "subscribed":
                    log.info(
                        "%s subscribed: %s / %s on %s",
                        channel.role,
                        response.get("driver_name"),
                        response.get("car_name"),
                        response.get("track_name"),
                    )
                self._send(channel, channel.operation)
                channel.state = "subscribed"
                channel.receiver.last_rx = receiver.last_rx
                self.session = response

    def close(self) -> None:
        """Dismiss both subscriptions and close the sockets."""
        for channel in self.channels:
            self._send(channel, OP_DISMISS)
            channel.receiver.sock.close()


def game_address(text: str, *, default_port: int = 9996) -> tuple[str, int]:
    host, _, port = text.rpartition(":") if ":" in text else (text, "", str(default_port))
    return socket.gethostbyname(host or "127.0.0.1"), int(port)

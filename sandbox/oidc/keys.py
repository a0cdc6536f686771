"""Signing keys of the sandbox issuer: RS256 and ES256 key pairs published as a JWKS."""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field
from typing import Any, Literal

from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

SigningAlg = Literal["RS256", "ES256"]
SIGNING_ALGS: tuple[SigningAlg, ...] = ("RS256", "ES256")

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


@dataclass(frozen=True)
class SigningKey:
    """One key pair with its ``kid`` and the JWS algorithm it signs with."""

    kid: str
    alg: SigningAlg
    private_key: PrivateKey

    @classmethod
    def generate(cls, alg: SigningAlg) -> SigningKey:
        key: PrivateKey
        if alg == "RS256":
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        else:
            key = ec.generate_private_key(ec.SECP256R1())
        return cls(kid=f"{alg.lower()}-{secrets.token_hex(6)}", alg=alg, private_key=key)

    def public_jwk(self) -> dict[str, Any]:
        """The public half as a JWK with ``kid``, ``alg`` and ``use``."""
        public = self.private_key.public_key()
        algorithm = RSAAlgorithm if self.alg == "RS256" else ECAlgorithm
        jwk = algorithm.to_jwk(public, as_dict=True)  # type: ignore[arg-type]
        return {**jwk, "kid": self.kid, "alg": self.alg, "use": "sig"}


@dataclass
class KeyRing:
    """The issuer's keys: the newest key of each algorithm signs, all keys are published.

    ``rotate`` adds a new key (the previous one stays published so that tokens it signed keep
    verifying), which is how a real issuer rotates and what makes verifiers refresh their JWKS.
    """

    keys: list[SigningKey] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def generate(cls) -> KeyRing:
        return cls(keys=[SigningKey.generate(alg) for alg in SIGNING_ALGS])

    def current(self, alg: SigningAlg) -> SigningKey:
        with self._lock:
            for key in reversed(self.keys):
                if key.alg == alg:
                    return key
        raise LookupError(f"no {alg} signing key")

    def rotate(self, alg: SigningAlg) -> SigningKey:
        key = SigningKey.generate(alg)
        with self._lock:
            self.keys.append(key)
        return key

    def jwks(self) -> dict[str, list[dict[str, Any]]]:
        with self._lock:
            keys = list(self.keys)
        return {"keys": [k.public_jwk() for k in keys]}

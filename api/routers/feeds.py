"""CSV feeds: what is declared, and uploads into a feed's landing zone (role ``ingest``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, HTTPException, Path, UploadFile

from api.deps import Ingester, Reader, Settings
from api.models import FeedPublic, UploadPublic
from api.problems import AUTH_PROBLEMS, problem_responses
from api.uploads import UploadRejectedError, public_location, read_csv_feeds, write_upload
from pitwall.csvfeeds.feeds import CsvFeed

router = APIRouter(prefix="/feeds", tags=["feeds"], responses=AUTH_PROBLEMS)
FeedName = Annotated[str, Path(min_length=1, max_length=100)]


def _public(feed: CsvFeed) -> FeedPublic:
    return FeedPublic(
        name=feed.name,
        location=public_location(feed),
        columns={n: spec.type for n, spec in feed.columns.items()},
        required=[n for n, spec in feed.columns.items() if spec.required or n in feed.key],
    )


@router.get(
    "",
    response_model=list[FeedPublic],
    summary="List the CSV feeds",
)
def list_feeds(_: Reader, settings: Settings) -> list[FeedPublic]:
    return [_public(f) for f in read_csv_feeds(settings.home).values()]


@router.post(
    "/{feed}/files",
    status_code=201,
    response_model=UploadPublic,
    responses=problem_responses(400, 404, 409, 413),
    summary="Upload a CSV file to a feed's landing zone",
)
def upload_file(
    _: Ingester,
    settings: Settings,
    feed: FeedName,
    file: Annotated[UploadFile, File(description="the CSV file; its name must fit the feed")],
) -> UploadPublic:
    """Store the file where the next `ingest_csv` run lands it.

    Refused: a malformed multipart body (400), names with a path or not matching the feed's
    glob (422), files over the size limit or a `.gz` inflating beyond the feed's
    `max_decompressed_bytes` (413), a corrupt or truncated `.gz` (422, the whole stream is
    inflated), headers not matching the declared columns (422), taken names (409).
    """
    declared = read_csv_feeds(settings.home).get(feed)
    if declared is None:
        raise HTTPException(404, f"no CSV feed named {feed!r}")
    try:
        stored = write_upload(
            file.file,
            name=file.filename,
            feed=declared,
            home=settings.home,
            max_bytes=settings.upload_max_bytes,
        )
    except UploadRejectedError as exc:
        raise HTTPException(exc.status, exc.detail) from exc
    return UploadPublic(
        feed=feed,
        file=stored.name,
        uri=public_location(declared, name=stored.name),
        bytes=stored.size,
        columns=list(stored.columns),
    )

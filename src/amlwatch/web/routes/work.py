"""Working a case: assignment, notes and their files, the next case of a queue."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData, UploadFile

from amlwatch.cases.exceptions import InvalidInput
from amlwatch.cases.notes import MAX_FILE_BYTES
from amlwatch.web.listing import read
from amlwatch.web.site import Site


def register(site: Site) -> None:
    """Add these routes to the site's app."""
    app, review = site.app, site.review
    current, form_of, posted = site.current, site.form_of, site.posted

    def assign(request: Request, form: FormData, case_id: int) -> Response:
        user, csrf = current(request)
        fields = form_of(form, csrf)
        review.assign_case(user, case_id, str(fields.get("to") or ""))
        return RedirectResponse(f"/cases/{case_id}?done=assign", 303)

    posted("/cases/{case_id:int}/assign")(assign)

    def add_note(request: Request, form: FormData, case_id: int) -> Response:
        user, csrf = current(request)
        fields = form_of(form, csrf)
        upload = fields.get("file")
        file = None
        if isinstance(upload, UploadFile) and upload.filename:
            data = upload.file.read(MAX_FILE_BYTES + 1)
            if len(data) > MAX_FILE_BYTES:
                raise InvalidInput(f"附件超过 {MAX_FILE_BYTES // 1024 // 1024} MB / file too large")
            file = (upload.filename, data)
        for_report = fields.get("for_report") == "1"
        review.add_note(user, case_id, str(fields.get("text") or ""), file, for_report)
        return RedirectResponse(f"/cases/{case_id}?done=note#notes", 303)

    posted("/cases/{case_id:int}/notes")(add_note)

    @app.get("/cases/{case_id}/notes/{note_id}/file")
    def note_file(request: Request, case_id: int, note_id: int) -> Response:
        user, _ = current(request)
        note, data = review.note_file(user, case_id, note_id)
        name = note.file_name or "attachment"
        return Response(
            data,
            media_type="application/octet-stream",
            headers={
                "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}",
                "Content-Security-Policy": "sandbox",
            },
        )

    @app.get("/cases/{case_id}/next")
    def next_case(request: Request, case_id: int) -> Response:
        """The case after this one in the viewer's queue (我的待办 unless the list said
        otherwise), or back to the list when the queue is done."""
        user, _ = current(request)
        params = dict(request.query_params) or {"queue": "mine"}
        listing = read(review, user, params)
        found = review.next_case(user, case_id, listing.flt)
        if found is None:
            return RedirectResponse("/cases?queue=mine&done=queue-empty", 303)
        return RedirectResponse(f"/cases/{found}", 303)

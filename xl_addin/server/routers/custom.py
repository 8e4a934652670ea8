"""Routes the VP server adds to xlwings Server's: the health check, the Rapport download and the
switch of a workbook's classic VP formulas (=VP_X) to the server's (=VP.X).

GET /vp/health answers only when the VP functions are loaded and the rulebook can be read, so a
worker with a broken rulebook edit is taken out of rotation instead of answering every cell with
an error.

POST /vp/rapport takes the workbook as Office.js sends it to a custom script and answers with the
board's report (.docx), made by `workbook.report.build_report` exactly as `vp report` makes it from
a file; the task pane offers it as a download. The report takes a second or two (charts), so it is
made on one thread of its own: the worker keeps answering the VP functions meanwhile, and two
reports in the same worker wait for each other (matplotlib's pyplot is not thread-safe).

POST /vp/formler takes the formulas the task pane read with Office.js `range.formulas` (only those
that mention VP) and answers with the ones to write back in the other form, rewritten by
`workbook.convert` (the same reading of a formula as `vp convert`, texts in quotes untouched), or with
the Swedish refusal naming the cells (both forms, an unknown VP name). The pane writes them with
`range.formulas`; Excel itself stores them in its own form (`_xldudf_VP_...`).
"""

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote

from fastapi import APIRouter
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from xlwings_server import dependencies as dep
from xlwings_server.config import settings

from rules.errors import VPError
from rules.rulebook import load_rulebook
from xl_addin import udfs

router = APIRouter(prefix=settings.app_path)
logger = logging.getLogger("vp.server")
_REPORTS = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vp-rapport")
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@router.get("/vp/health")
async def health():
    try:
        rulebook = load_rulebook()
    except VPError as exc:
        return JSONResponse({"status": "fel", "regelbok": str(exc)}, status_code=503)
    return {"status": "ok", "funktioner": len(udfs.CATALOGUE), "regelbok": rulebook.path.name,
            "planår": rulebook.year}


def _report(book):
    from workbook.report import build_report, default_path

    from xl_addin.book_adapter import XlwingsBook

    data, document = build_report(XlwingsBook(book), workbook=book.name)
    return default_path(Path(book.name), data.period).name, document


@router.post("/vp/formler")
async def formler(body: dict, current_user: dep.User):
    from workbook.convert import CLASSIC, SERVER, ConvertRefused, convert_shown

    to = body.get("to", SERVER)
    entries = body.get("cells")
    if to not in (SERVER, CLASSIC) or not isinstance(entries, list) or len(entries) > 200_000 or \
            not all(isinstance(entry, dict) for entry in entries):
        return JSONResponse({"fel": "VP förstod inte formlerna som panelen skickade."}, status_code=400)
    try:
        changed = convert_shown(entries, to)
    except ConvertRefused as exc:
        return {"andras": [], "fel": str(exc)}
    return {"andras": [{"index": index, "formula": formula} for index, formula in changed], "fel": None}


@router.post("/vp/rapport")
async def rapport(book: dep.Book, current_user: dep.User):
    logger.info("Rapport för %s", (current_user.name or "okänd").replace("\n", " "))
    try:
        name, document = await asyncio.get_running_loop().run_in_executor(_REPORTS, _report, book)
    except VPError as exc:
        return PlainTextResponse(f"VP kunde inte göra rapporten:\n\n{exc}", status_code=400)
    except Exception:
        logger.exception("Rapporten föll")
        return PlainTextResponse("VP kunde inte göra rapporten: ett oväntat fel i servern. Felet är loggat; "
                                 "kontakta IT och ange tidpunkten.", status_code=500)
    return Response(document, media_type=DOCX,
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"})

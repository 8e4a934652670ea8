"""GET /vp/health: the health check of the container and the load balancer.

It answers only when the VP functions are loaded and the rulebook can be read, so a worker with a
broken rulebook edit is taken out of rotation instead of answering every cell with an error.
"""

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from xlwings_server.config import settings

from rules.errors import VPError
from rules.rulebook import load_rulebook
from xl_addin import udfs

router = APIRouter(prefix=settings.app_path)


@router.get("/vp/health")
async def health():
    try:
        rulebook = load_rulebook()
    except VPError as exc:
        return JSONResponse({"status": "fel", "regelbok": str(exc)}, status_code=503)
    return {"status": "ok", "funktioner": len(udfs.CATALOGUE), "regelbok": rulebook.path.name,
            "planår": rulebook.year}

"""Liveness/readiness: the process answers and its database does too."""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec
from litestar import Controller, Response, get
from litestar.status_codes import HTTP_200_OK, HTTP_503_SERVICE_UNAVAILABLE

if TYPE_CHECKING:
    from litestar.datastructures import State

__all__ = ["Health", "HealthController"]


class Health(msgspec.Struct, rename="camel"):
    """What ``/healthz`` reports."""

    status: str
    database: str


class HealthController(Controller):
    """``GET /healthz`` for load balancers and the test harness."""

    path = "/healthz"
    tags = ("health",)

    @get(operation_id="health", cache=False)
    async def health(self, state: State) -> Response[Health]:
        """``200`` when the database answers a trivial query, ``503`` otherwise."""
        engine = state.db_engine
        try:
            await engine.run_ddl("SELECT 1")
        except Exception:  # noqa: BLE001 - any failure means "not ready"
            return Response(
                Health("unavailable", engine.engine_type), status_code=HTTP_503_SERVICE_UNAVAILABLE
            )
        return Response(Health("ok", engine.engine_type), status_code=HTTP_200_OK)

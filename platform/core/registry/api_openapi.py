"""The app's OpenAPI document: the public HSDS read API, and nothing else.

The app is built with ``include_in_schema=False`` and only the HSDS controllers opt back
in, so a staff, admin or operator route can never appear in the schema by being added
(deny by default, like permissions). The JSON is served on every tenant host at
:data:`OPENAPI_JSON` (the API's root answers that URL as ``openapi_url``); Swagger UI only
in demo mode (it loads its script from a CDN, which production pages never do).
"""

from __future__ import annotations

from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin, OpenAPIRenderPlugin, SwaggerRenderPlugin
from litestar.openapi.spec import Tag

from kasane.core.registry.hsds_spec import HSDS_VERSION, PROFILE

SCHEMA_PATH = "/schema"
OPENAPI_JSON = SCHEMA_PATH + "/openapi.json"
API_TAG = "HSDS registry API"
DESCRIPTION = (
    "The municipality's resource registry (社会資源) as an Open Referral HSDS 3.0 read API,"
    f" with Kasane's Japanese profile ({PROFILE}). Without a login it answers the entries the"
    " municipality marked public (open data); a staff session of the municipality also"
    " sees its other entries and those its neighbours share with it. Every error is an"
    " RFC 9457 problem (application/problem+json)."
)


def hsds_openapi_config(*, demo: bool) -> OpenAPIConfig:
    """The OpenAPI configuration: the JSON always, Swagger UI in demo mode only."""
    plugins: list[OpenAPIRenderPlugin] = [JsonRenderPlugin()]
    if demo:
        plugins.insert(0, SwaggerRenderPlugin())  # the first one also answers /schema
    return OpenAPIConfig(
        title="Kasane HSDS API",
        version=HSDS_VERSION,
        description=DESCRIPTION,
        path=SCHEMA_PATH,
        render_plugins=plugins,
        tags=[Tag(name=API_TAG, description="Open Referral HSDS 3.0 read API.")],
    )

"""`khasan-kg serve`: the graph as Linked Data — a SPARQL 1.1 endpoint, dereferenceable IRIs, VoID, downloads and
pages for people — on Starlette + uvicorn.

Every query runs in a worker process (web/workers.py) so that a slow one is cut off at the time limit without
holding up anyone else; this module only routes requests, negotiates formats and turns errors into HTTP answers.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from .errors import KhasanError
from .export import CONTEXT_PATH
from .namespaces import ID, KH, ONTOLOGY_IRI
from .web import conneg, pages
from .web.jobs import cached, call
from .web.sparql_protocol import Refused, check_query, read_request
from .web.tasks import serialize
from .web.void import downloads, service_description, void_graph
from .web.workers import JobError, PoolBusy, QueryTimeout, Source, WorkerPool

WEB = Path(__file__).with_name("web")
SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._~/-]*$")
TRUNCATED_HEADER = "Khasan-Truncated"
EXPOSED = [TRUNCATED_HEADER, "Content-Location", "Warning"]


def create_app(*, trig: Path | str | None = None, store: Path | str | None = None, endpoint: str | None = None,
               dist: Path | str | None = None, project_root: Path | str | None = None, timeout: float = 5.0,
               workers: int = 2, max_rows: int = 10_000) -> Starlette:
    """The ASGI app. Exactly one of ``trig`` (a build's khasan.trig), ``store`` (a persistent store) or
    ``endpoint`` (a remote SPARQL endpoint) says what is served; ``dist`` is the build folder offered as downloads."""
    if sum(x is not None for x in (trig, store, endpoint)) != 1:
        raise ValueError("give exactly one of trig, store or endpoint")
    source = Source(trig=str(trig) if trig else None, store=str(store) if store else None, endpoint=endpoint,
                    project_root=str(project_root) if project_root else None, max_rows=max_rows)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        pool = WorkerPool(source, size=workers, timeout=timeout)
        await pool.start()
        app.state.pool = pool
        try:
            yield
        finally:
            await pool.stop()

    routes = [
        Route("/", pages.home),
        Route("/sparql", sparql_endpoint, methods=["GET", "POST"]),
        Route("/query", pages.query_page),
        Route("/timeline", pages.timeline),
        Route("/order-of-battle", pages.order_of_battle),
        Route("/map", pages.place_map),
        Route("/id", dereference),  # the namespace itself (also what a client makes of /id/.): no slash redirect
        Route("/id/{path:path}", dereference),
        Route("/ontology", ontology_document),
        Route("/ontology{ext:str}", ontology_document),
        Route("/.well-known/void", void_document),
        Route("/downloads/", pages.downloads_page),
        Route("/downloads/{name}", download),
        Route("/context.jsonld", context_document),
        Mount("/static", StaticFiles(directory=WEB / "static"), name="static"),
    ]
    middleware = [Middleware(CORSMiddleware, allow_origins=["*"], allow_methods=["GET", "POST", "OPTIONS"],
                             allow_headers=["*"], expose_headers=EXPOSED, max_age=86400)]
    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan, exception_handlers={
        Refused: _error, JobError: _error, QueryTimeout: _error, PoolBusy: _error, KhasanError: _error})
    app.state.timeout = timeout
    app.state.max_rows = max_rows
    app.state.downloads = downloads(Path(dist) if dist else None)
    app.state.cache = {}
    app.state.templates = pages.templates()
    return app


async def _error(request: Request, exc: Exception) -> Response:
    """Errors a client can act on, as plain text with the right status (never a bare 500 for a bad query)."""
    if isinstance(exc, QueryTimeout):
        status, text = 504, f"Query timed out: {exc} (limit {request.app.state.timeout:g} s). Add a LIMIT or narrow it."
    elif isinstance(exc, PoolBusy):
        status, text = 503, f"Busy: {exc}. Try again shortly."
    elif isinstance(exc, Refused | JobError):
        status, text = exc.status, exc.message
    else:
        status, text = 400, str(exc)
    headers = {"Retry-After": "2"} if status == 503 else {}
    return PlainTextResponse(text + "\n", status_code=status, headers=headers)



def _vary(response: Response) -> Response:
    response.headers["Vary"] = "Accept"
    return response


# --- SPARQL 1.1 Protocol ---------------------------------------------------------------------------------------------


async def sparql_endpoint(request: Request) -> Response:
    req = await read_request(request)
    accept = request.headers.get("accept")
    if req.query is None:
        # no query: the Service Description, or the query page for a browser
        key = conneg.choose(accept, ("turtle", "html", "jsonld", "nt", "rdfxml"))
        if key == "html":
            return _vary(RedirectResponse("/query", status_code=303))
        if key is None:
            raise Refused(406, "the service description is available as Turtle, JSON-LD, N-Triples or RDF/XML")
        base = str(request.base_url)
        body = serialize(service_description(base, request.app.state.timeout, request.app.state.max_rows), key)
        return _vary(Response(body, media_type=conneg.content_type(key)))
    if not req.query.strip():
        raise Refused(400, "the query is empty")
    check_query(req.query)
    media, body, truncated = await call(request, "sparql", req.query, accept, req.format, req.default_graphs,
                                        req.named_graphs)
    response = Response(body, headers={"Content-Type": media, "Cache-Control": "no-store"})
    if truncated is not None:
        # documented in the service description and the README: the answer is cut at the limit and says so
        response.headers[TRUNCATED_HEADER] = f"true; limit={truncated}"
        response.headers["Warning"] = f'199 - "result truncated to the first {truncated} rows or triples"'
    return _vary(response)


# --- Linked Data: /id/... and /ontology ------------------------------------------------------------------------------


async def dereference(request: Request) -> Response:
    """Cool URIs: /id/KIND/SLUG answers 303 to the document in the format asked for (/id/KIND/SLUG.ttl, .html...);
    the documents answer 200 with Content-Location and Vary: Accept."""
    path = request.path_params.get("path", "")
    stem, ext = os.path.splitext(path)
    if ext in conneg.EXTENSIONS and SLUG.match(stem):
        return await entity_document(request, stem, conneg.EXTENSIONS[ext])
    if not SLUG.match(path) or "/" not in path.strip("/"):
        return await pages.not_found(request, ID + path)
    key = conneg.from_format_param(request.query_params.get("format"), conneg.DOCUMENT_FORMATS) or conneg.choose(
        request.headers.get("accept"), conneg.DOCUMENT_FORMATS)
    if key is None:
        raise Refused(406, "this resource is available as HTML, Turtle, JSON-LD, N-Triples or RDF/XML")
    target = f"/id/{path}{conneg.FORMATS[key].extension}"
    if request.url.query:
        target += "?" + request.url.query
    return _vary(RedirectResponse(target, status_code=303))


async def entity_document(request: Request, path: str, key: str) -> Response:
    iri = ID + path
    if key == "html":
        response = await pages.entity(request, iri)
    else:
        body = await call(request, "entity_rdf", iri, key)
        if body is None:
            return await pages.not_found(request, iri)
        response = Response(body, media_type=conneg.content_type(key))
    response.headers["Content-Location"] = f"/id/{path}{conneg.FORMATS[key].extension}"
    response.headers["Link"] = ", ".join(
        f'</id/{path}{conneg.FORMATS[k].extension}>; rel="alternate"; type="{conneg.FORMATS[k].media_type}"'
        for k in conneg.DOCUMENT_FORMATS if k != key)
    return _vary(response)


async def ontology_document(request: Request) -> Response:
    """The ontology: documentation for people, the graph for clients (terms are hash IRIs: #Term)."""
    ext = request.path_params.get("ext")
    if ext is not None:
        key = conneg.EXTENSIONS.get(ext)
        if key is None:
            return await pages.not_found(request, ONTOLOGY_IRI + ext)
    else:
        key = conneg.from_format_param(request.query_params.get("format"), conneg.DOCUMENT_FORMATS) or conneg.choose(
            request.headers.get("accept"), conneg.DOCUMENT_FORMATS)
        if key is None:
            raise Refused(406, "the ontology is available as HTML, Turtle, JSON-LD, N-Triples or RDF/XML")
    if key == "html":
        response = await pages.ontology(request)
    else:
        response = Response(await call(request, "ontology_rdf", key), media_type=conneg.content_type(key))
    response.headers["Content-Location"] = f"/ontology{conneg.FORMATS[key].extension}"
    return _vary(response)


# --- about the dataset -----------------------------------------------------------------------------------------------


async def void_document(request: Request) -> Response:
    key = conneg.from_format_param(request.query_params.get("format"), conneg.RDF_FORMATS) or conneg.choose(
        request.headers.get("accept"), conneg.RDF_FORMATS)
    if key is None:
        raise Refused(406, "VoID is available as Turtle, JSON-LD, N-Triples or RDF/XML")
    stats = await cached(request, "statistics")
    index = await cached(request, "index")
    examples = [e["iri"] for e in index["entities"] if any(t.endswith(("#MilitaryUnit", "#Person", "#Battle"))
                                                           or t.startswith(str(KH)) for t in e["types"])][:5]
    graph = void_graph(str(request.base_url), stats, request.app.state.downloads, examples)
    return _vary(Response(serialize(graph, key), media_type=conneg.content_type(key)))


async def download(request: Request) -> Response:
    # only names listed when the server started: no path from the request ever reaches the file system
    info = request.app.state.downloads.get(request.path_params["name"])
    if info is None:
        return PlainTextResponse("no such download; the list is at /downloads/\n", status_code=404)
    return FileResponse(info["path"], media_type=info["media_type"],
                        headers={"Digest": f"sha-256={info['sha256']}", "Access-Control-Allow-Origin": "*"})


async def context_document(request: Request) -> Response:
    return FileResponse(CONTEXT_PATH, media_type="application/ld+json",
                        headers={"Access-Control-Allow-Origin": "*", "Cache-Control": "public, max-age=3600"})


# --- the command ------------------------------------------------------------------------------------------------------


def serve(host: str = "127.0.0.1", port: int = 8000, store: str | None = None, endpoint: str | None = None,
          timeout: float = 5.0) -> int:
    """Start the server (blocks). Without --store or --endpoint it serves dist/ if that is current, else builds."""
    import uvicorn

    from . import api
    from .paths import Project

    project = Project.locate()
    dist = project.root / api.DEFAULT_OUT
    workers = int(os.environ.get("KHASAN_KG_WORKERS", "4"))
    kwargs: dict[str, Any] = {"timeout": timeout, "workers": workers, "project_root": project.root}
    if endpoint:
        kwargs.update(endpoint=endpoint, dist=dist if dist.is_dir() else None)
    elif store:
        kwargs.update(store=Path(store), dist=dist if dist.is_dir() else None)
    elif api._dist_is_current(project, dist):
        kwargs.update(trig=dist / "khasan.trig", dist=dist)
    else:
        out = Path(tempfile.mkdtemp(prefix="khasan-kg-serve-"))
        print(f"dist/ is missing or out of date: building into {out} ...", file=sys.stderr)
        api.build(out=out, project=project)
        kwargs.update(trig=out / "khasan.trig", dist=out)
    app = create_app(**kwargs)
    print(f"khasan-kg: serving on http://{host}:{port}/ (SPARQL at /sparql, timeout {timeout:g} s)", file=sys.stderr)
    uvicorn.run(app, host=host, port=port, log_level="info", timeout_graceful_shutdown=5)
    return 0

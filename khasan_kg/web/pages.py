"""Pages for people: entities, the timeline, the order of battle, the map, the query page and the ontology.

Jinja2 templates (autoescaped) under web/templates, styles and scripts under web/static: nothing is fetched from
the internet when a page is shown. ``?lang=th`` switches labels to Thai (English where there is no Thai label).
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any
from urllib.parse import quote

from markupsafe import Markup, escape
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.templating import Jinja2Templates

from ..namespaces import ID, KH, ONTOLOGY_IRI, curie
from . import svg
from .jobs import cached, call

LANGUAGES = {"en": "English", "th": "ไทย"}
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
LINK_PREDICATES = {"http://www.w3.org/2002/07/owl#sameAs", "http://www.w3.org/2004/02/skos/core#closeMatch",
                   "http://www.w3.org/2004/02/skos/core#exactMatch", "http://www.w3.org/2000/01/rdf-schema#seeAlso"}


def templates() -> Jinja2Templates:
    return Jinja2Templates(directory=str(Path(__file__).with_name("templates")))


class View:
    """What every template needs: the language, labels, and links for IRIs."""

    def __init__(self, request: Request, labels: dict[str, dict[str, str]] | None = None) -> None:
        lang = request.query_params.get("lang", "en")
        self.lang = lang if lang in LANGUAGES else "en"
        self.labels = labels or {}
        self.request = request

    def add(self, labels: dict[str, dict[str, str]]) -> None:
        self.labels.update(labels)

    def label(self, iri: str) -> str:
        found = self.labels.get(iri, {})
        text = found.get(self.lang) or found.get("en") or next(iter(found.values()), None)
        if text:
            return text
        if iri.startswith(str(KH)):
            return iri[len(str(KH)):]
        return curie(iri).strip("<>")

    def href(self, iri: str) -> str:
        suffix = "?lang=th" if self.lang == "th" else ""
        if iri.startswith(ID):
            return "/id/" + quote(iri[len(ID):], safe="/-._~") + suffix
        if iri.startswith(str(KH)):
            return "/ontology" + suffix + "#" + iri[len(str(KH)):]
        if iri == ONTOLOGY_IRI:
            return "/ontology" + suffix
        return iri

    def link(self, iri: str) -> Markup:
        return Markup('<a href="{}" title="{}">{}</a>').format(self.href(iri), iri, self.label(iri))

    def term(self, t: dict[str, str] | None) -> Markup:
        if t is None:
            return Markup("")
        if t["type"] == "uri":
            return self.link(t["value"])
        if t["type"] == "bnode":
            return Markup("<span class='bnode'>_:{}</span>").format(t["value"])
        lang = t.get("lang")
        if lang:
            return Markup('<span lang="{}">{}</span> <small class="lang">@{}</small>').format(lang, t["value"], lang)
        return escape(t["value"])

    def switch(self, lang: str) -> str:
        from urllib.parse import urlencode

        params = dict(self.request.query_params)
        params["lang"] = lang
        return self.request.url.path + "?" + urlencode(params)

    def context(self, **extra: Any) -> dict[str, Any]:
        return {"request": self.request, "v": self, "lang": self.lang, "languages": LANGUAGES, **extra}


def render(request: Request, name: str, view: View, status: int = 200, **extra: Any) -> HTMLResponse:
    t = request.app.state.templates
    return t.TemplateResponse(request, name, view.context(**extra), status_code=status,
                              headers={"Content-Language": view.lang})




async def home(request: Request) -> Response:
    index = await cached(request, "index")
    view = View(request, dict(index["labels"]))
    groups: dict[str, list[str]] = {}
    for e in index["entities"]:
        if e["iri"].startswith(ID + "passage/"):
            continue
        for t in e["types"]:
            groups.setdefault(t, []).append(e["iri"])
    ordered = sorted(groups.items(), key=lambda kv: view.label(kv[0]).casefold())
    for _, members in ordered:
        members.sort(key=lambda i: view.label(i).casefold())
    return render(request, "home.html", view, groups=ordered, total=len(index["entities"]))


async def entity(request: Request, iri: str) -> Response:
    data = await call(request, "entity", iri)
    if data is None:
        return await not_found(request, iri)
    view = View(request, data["labels"])
    out = [f for f in data["out"] if f["p"] != RDF_TYPE]
    links = [f for f in out if f["p"] in LINK_PREDICATES]
    facts = [f for f in out if f["p"] not in LINK_PREDICATES]
    all_labels = [f for f in facts if f["p"] == "http://www.w3.org/2000/01/rdf-schema#label"]
    point = next((p for p in (svg.parse_point(w) for w in data["geometry"]) if p), None)
    mini_map = svg.place_map([(iri, point[0], point[1], view.label(iri))], view.href, 420, 240) if point else ""
    return render(request, "entity.html", view, iri=iri, data=data, facts=facts, links=links, names=all_labels,
                  incoming=data["in"], statements=data["statements"], mini_map=Markup(mini_map),
                  formats=[("Turtle", ".ttl"), ("JSON-LD", ".jsonld"), ("N-Triples", ".nt"), ("RDF/XML", ".rdf")])


async def not_found(request: Request, iri: str) -> Response:
    """A 404 that helps: what the IRI would be, and the nearest IRIs that do exist."""
    index = await cached(request, "index")
    view = View(request, dict(index["labels"]))
    known = [e["iri"] for e in index["entities"]]
    close = difflib.get_close_matches(iri, known, n=5, cutoff=0.6)
    return render(request, "not_found.html", view, status=404, iri=iri, close=close)


async def timeline(request: Request) -> Response:
    params = {k: request.query_params[k] for k in ("from", "to") if request.query_params.get(k)}
    data = await call(request, "named_query", "timeline", params)
    view = View(request, data["labels"])
    # an event dated by several parts of the source appears once per date (that is the evidence); one row per
    # event and date here, its places gathered
    years: dict[str, list[dict[str, Any]]] = {}
    seen: dict[tuple[str, str], dict[str, Any]] = {}
    for row in data["rows"]:
        when = row.get("when")
        key = (row["event"]["value"], when["value"] if when else "")
        if key in seen:
            if row.get("place") and row["place"] not in seen[key]["places"]:
                seen[key]["places"].append(row["place"])
            continue
        row = {**row, "places": [row["place"]] if row.get("place") else []}
        seen[key] = row
        years.setdefault(when["value"][:4] if when else "undated", []).append(row)
    return render(request, "timeline.html", view, years=list(years.items()), count=len(data["rows"]), params=params)


async def order_of_battle(request: Request) -> Response:
    data = await cached(request, "order_of_battle")
    view = View(request, dict(data["labels"]))
    unit = request.query_params.get("unit")
    chain: dict[str, Any] | None = None
    highlight: set[str] = set()
    if unit:
        chain = await call(request, "named_query", "command-chain", {"unit": unit})
        view.add(chain["labels"])
        highlight = {r["superior"]["value"] for r in chain["rows"] if r.get("superior")}
    diagram = svg.order_of_battle(data["units"], view.label, view.href, highlight)
    units = sorted(data["units"], key=lambda u: view.label(u["iri"]).casefold())
    return render(request, "order_of_battle.html", view, diagram=Markup(diagram), units=units, unit=unit,
                  chain=chain)


async def place_map(request: Request) -> Response:
    data = await cached(request, "places")
    view = View(request, dict(data["labels"]))
    points, unplaced = [], []
    for p in data["places"]:
        point = next((pt for pt in (svg.parse_point(w) for w in p["wkt"]) if pt), None)
        if point:
            points.append((p["iri"], point[0], point[1], view.label(p["iri"])))
        else:
            unplaced.append(p["iri"])
    unplaced.sort(key=lambda i: view.label(i).casefold())
    return render(request, "map.html", view, drawing=Markup(svg.place_map(points, view.href)), points=points,
                  unplaced=unplaced)


async def query_page(request: Request) -> Response:
    library = await cached(request, "query_library")
    return render(request, "query.html", View(request), library=library, timeout=request.app.state.timeout,
                  max_rows=request.app.state.max_rows, initial=request.query_params.get("query", ""))


async def ontology(request: Request) -> Response:
    triples = await cached(request, "ontology")
    terms: dict[str, dict[str, list[dict[str, str]]]] = {}
    meta: dict[str, list[dict[str, str]]] = {}
    for s, p, o in triples:
        if s.startswith(str(KH)):
            terms.setdefault(s, {}).setdefault(p, []).append(o)
        elif s == ONTOLOGY_IRI:
            meta.setdefault(p, []).append(o)
    labels = {s: {o.get("lang", ""): o["value"] for o in props.get("http://www.w3.org/2000/01/rdf-schema#label", [])}
              for s, props in terms.items()}
    view = View(request, labels)
    kinds: dict[str, list[str]] = {"Classes": [], "Object properties": [], "Datatype properties": [],
                                   "Other terms": []}
    owl = "http://www.w3.org/2002/07/owl#"
    for s, props in terms.items():
        types = {o["value"] for o in props.get(RDF_TYPE, [])}
        kind = ("Classes" if owl + "Class" in types else "Object properties" if owl + "ObjectProperty" in types
                else "Datatype properties" if owl + "DatatypeProperty" in types else "Other terms")
        kinds[kind].append(s)
    for members in kinds.values():
        members.sort(key=lambda i: i.casefold())
    return render(request, "ontology.html", view, kinds=[(k, m) for k, m in kinds.items() if m], terms=terms,
                  meta=meta, local=lambda i: i[len(str(KH)):])


async def downloads_page(request: Request) -> Response:
    return render(request, "downloads.html", View(request), files=request.app.state.downloads)

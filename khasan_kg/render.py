"""Output formats for query results, in one registry (name → renderer) that the CLI and the server share."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable

from rdflib import BNode, Literal, URIRef

from .namespaces import curie
from .store import Results, Term


def cell(term: Term | None) -> str:
    """A term as a person reads it: CURIE for our IRIs, the lexical form for literals."""
    if term is None:
        return ""
    if isinstance(term, URIRef):
        return curie(str(term)).strip("<>")
    if isinstance(term, BNode):
        return f"_:{term}"
    return str(term)


def table(results: Results) -> str:
    headers = results.variables
    rows = [[cell(v) for v in row] for row in results.rows]
    widths = [len(h) for h in headers]
    for row in rows:
        for i, v in enumerate(row):
            widths[i] = min(max(widths[i], _width(v)), 60)

    def fmt(values: list[str]) -> str:
        return "  ".join(_pad(_clip(v, widths[i]), widths[i]) for i, v in enumerate(values)).rstrip()

    lines = [fmt(headers), "  ".join("-" * w for w in widths)]
    lines += [fmt(r) for r in rows]
    lines.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(lines)


def _width(text: str) -> int:
    # Thai combining marks take no column of their own
    import unicodedata

    return sum(0 if unicodedata.combining(ch) or unicodedata.category(ch) == "Mn" else 1 for ch in text)


def _clip(text: str, width: int) -> str:
    return text if _width(text) <= width else text[: max(0, width - 1)] + "…"


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


def to_csv(results: Results) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(results.variables)
    for row in results.rows:
        writer.writerow([("" if v is None else str(v)) for v in row])
    return buf.getvalue()


def to_tsv(results: Results) -> str:
    lines = ["\t".join("?" + v for v in results.variables)]
    for row in results.rows:
        lines.append("\t".join("" if v is None else v.n3() for v in row))
    return "\n".join(lines) + "\n"


def term_json(term: Term) -> dict[str, str]:
    """A term in the SPARQL 1.1 Query Results JSON format."""
    if isinstance(term, URIRef):
        return {"type": "uri", "value": str(term)}
    if isinstance(term, BNode):
        return {"type": "bnode", "value": str(term)}
    assert isinstance(term, Literal)
    out = {"type": "literal", "value": str(term)}
    if term.language:
        out["xml:lang"] = term.language
    elif term.datatype:
        out["datatype"] = str(term.datatype)
    return out


def to_json(results: Results) -> str:
    """SPARQL 1.1 Query Results JSON."""
    bindings = [
        {v: term_json(t) for v, t in zip(results.variables, row, strict=True) if t is not None} for row in results.rows
    ]
    return json.dumps(
        {"head": {"vars": results.variables}, "results": {"bindings": bindings}}, ensure_ascii=False, indent=1
    )


def to_xml(results: Results) -> str:
    """SPARQL Query Results XML."""
    from xml.sax.saxutils import escape, quoteattr

    out = ['<?xml version="1.0"?>', '<sparql xmlns="http://www.w3.org/2005/sparql-results#">', "<head>"]
    out += [f"<variable name={quoteattr(v)}/>" for v in results.variables]
    out += ["</head>", "<results>"]
    for row in results.rows:
        out.append("<result>")
        for v, t in zip(results.variables, row, strict=True):
            if t is None:
                continue
            if isinstance(t, URIRef):
                inner = f"<uri>{escape(str(t))}</uri>"
            elif isinstance(t, BNode):
                inner = f"<bnode>{escape(str(t))}</bnode>"
            elif t.language:
                inner = f"<literal xml:lang={quoteattr(t.language)}>{escape(str(t))}</literal>"
            elif t.datatype:
                inner = f"<literal datatype={quoteattr(str(t.datatype))}>{escape(str(t))}</literal>"
            else:
                inner = f"<literal>{escape(str(t))}</literal>"
            out.append(f"<binding name={quoteattr(v)}>{inner}</binding>")
        out.append("</result>")
    out += ["</results>", "</sparql>"]
    return "\n".join(out) + "\n"


RENDERERS: dict[str, Callable[[Results], str]] = {
    "table": table,
    "csv": to_csv,
    "tsv": to_tsv,
    "json": to_json,
    "xml": to_xml,
}

MEDIA_TYPES = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
    "table": "text/plain",
}


def render(results: Results, fmt: str) -> str:
    try:
        return RENDERERS[fmt](results)
    except KeyError:
        raise ValueError(f"unknown format {fmt!r}; choose from {', '.join(RENDERERS)}") from None

"""The report's document (a list of blocks) as Markdown and as one
self-contained HTML page: figures embedded as base64 PNG, no scripts, no
external URLs.

Text from the result file is marked (ff) so that each format escapes it as
its own: raw in Markdown it would pass HTML, links and headings through.
Control characters show as \\xNN, backquotes as '."""
import base64
import html
import os
import re

from branchsim import results as bsfile

_RAW, _END = "\x0e", "\x0f"
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+!|~&])")
_CSS = ("body{font-family:sans-serif;max-width:72em;margin:1em auto;padding:0 1em;color:#222}"
        "table{border-collapse:collapse;font-size:85%;margin:.5em 0}th,td{border:1px solid #bbb;padding:2px 6px;"
        "text-align:right}th{background:#e8eef6}img{max-width:100%}code{background:#f4f4f4}"
        ".summary{background:#eef6ee;border-left:4px solid #4a8;padding:.6em 1em;font-size:110%}"
        "pre{background:#f6f6f6;padding:.6em;overflow-x:auto;font-size:85%}figure{margin:1em 0}"
        "figcaption{font-size:85%;color:#555}")


def ff(v):
    """A text from the file as one marked line of printable characters."""
    s = "".join(c if c.isprintable() else f"\\x{ord(c):02x}" if ord(c) < 256 else f"\\u{ord(c):04x}"
                for c in bsfile.text(v))
    return _RAW + s.replace("`", "'") + _END


def pre_text(s):
    """A block of text from the file (the scenario) with its lines kept and
    other control characters shown as \\xNN."""
    return "".join(c if c.isprintable() or c in "\n\t" else f"\\x{ord(c):02x}" if ord(c) < 256 else f"\\u{ord(c):04x}"
                   for c in bsfile.text(s))


def _md(s):
    """Marked text Markdown-escaped (in a code span it is literal already)."""
    parts = s.split("`")
    for i in range(0, len(parts), 2):
        parts[i] = re.sub(f"{_RAW}([^{_END}]*){_END}", lambda m: _MD_SPECIAL.sub(r"\\\1", m.group(1)), parts[i])
    return "`".join(parts).replace(_RAW, "").replace(_END, "")


def plain(s):
    return s.replace(_RAW, "").replace(_END, "")


def _md_cell(s):
    return _md(s).replace("|", "\\|")


def _md_table(header, rows):
    lines = ["| " + " | ".join(_md_cell(h) for h in header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    return "\n".join(lines + ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in rows]) + "\n"


def _md_pre(s):
    """A fenced block longer than any run of backquotes in the text."""
    runs = [len(r) for r in re.findall(r"`+", s)]
    fence = "`" * max(3, max(runs, default=0) + 1)
    return f"{fence}yaml\n{s.rstrip()}\n{fence}\n"


def to_markdown(doc):
    out = []
    for block in doc:
        kind = block[0]
        if kind in ("h1", "h2"):
            out.append(f"{'#' if kind == 'h1' else '##'} {_md(block[1])}\n")
        elif kind in ("p", "summary"):
            out.append(_md(block[1]) + "\n")
        elif kind == "ul":
            out.append("\n".join(f"- {_md(item)}" for item in block[1]) + "\n")
        elif kind == "table":
            out.append(_md_table(block[1], block[2]))
        elif kind == "pre":
            out.append(_md_pre(block[1]))
        elif kind == "img":
            out.append(f"![{_md(block[2])}]({block[1]})\n")
    return "\n".join(out)


def _inline(s):
    """Escaped text with `code` spans."""
    parts = plain(s).split("`")
    return "".join(f"<code>{html.escape(p)}</code>" if i % 2 else html.escape(p) for i, p in enumerate(parts))


def _html_table(header, rows):
    out = ["<table>", "<tr>" + "".join(f"<th>{_inline(h)}</th>" for h in header) + "</tr>"]
    out += ["<tr>" + "".join(f"<td>{html.escape(plain(c))}</td>" for c in row) + "</tr>" for row in rows]
    return "\n".join(out + ["</table>"])


def _html_img(figdir, name, caption):
    with open(os.path.join(figdir, name), "rb") as f:
        data = base64.b64encode(f.read()).decode("ascii")
    alt = html.escape(plain(caption))
    return (f'<figure><img src="data:image/png;base64,{data}" alt="{alt}" title="{html.escape(name)}">'
            f"<figcaption>{alt}</figcaption></figure>")


def to_html(doc, figdir):
    """One page; the figures (PNGs in figdir) embedded, so it needs no other file."""
    title = next((b[1] for b in doc if b[0] == "h1"), "branchsim report")
    out = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
           f"<title>{html.escape(plain(title))}</title>", f"<style>{_CSS}</style>", "</head>", "<body>"]
    for block in doc:
        kind = block[0]
        if kind in ("h1", "h2"):
            out.append(f"<{kind}>{_inline(block[1])}</{kind}>")
        elif kind == "p":
            out.append(f"<p>{_inline(block[1])}</p>")
        elif kind == "summary":
            out.append(f'<p class="summary">{_inline(block[1])}</p>')
        elif kind == "ul":
            out.append("<ul>" + "".join(f"<li>{_inline(i)}</li>" for i in block[1]) + "</ul>")
        elif kind == "table":
            out.append(_html_table(block[1], block[2]))
        elif kind == "pre":
            out.append(f"<pre>{html.escape(block[1])}</pre>")
        elif kind == "img":
            out.append(_html_img(figdir, block[1], block[2]))
    return "\n".join(out + ["</body>", "</html>", ""])

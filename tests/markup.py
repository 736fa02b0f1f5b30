"""Reading portal and admin pages as a person sees them: parse the HTML once, then ask for the
text of an element, a field's value, a link's target or the error beside a field by CSS selector
(selectolax's Lexbor parser, the HTML5 parsing browsers use). Text comes back with its runs of
white space collapsed to one space, as a browser shows it."""
from selectolax.lexbor import LexborHTMLParser, LexborNode
from werkzeug.datastructures import MultiDict

NOT_SENT = {"submit", "button", "reset", "image", "file"}  # input types a form post leaves out


def parse(page) -> LexborHTMLParser:
    """The document of a response (or of an HTML string)."""
    return LexborHTMLParser(page if isinstance(page, str) else page.get_data(as_text=True))


def visible(node: LexborNode) -> str:
    """The node's text, white space collapsed."""
    return " ".join(node.text().split())


def page_text(doc: LexborHTMLParser) -> str:
    """Everything the page says in its body, white space collapsed (for a sentence the user reads)."""
    return visible(doc.body)


def one(doc: LexborHTMLParser | LexborNode, css: str) -> LexborNode:
    """The first element matching `css`; the test fails if there is none."""
    node = doc.css_first(css)
    assert node is not None, f"nothing matches {css!r}"
    return node


def text_of(doc: LexborHTMLParser | LexborNode, css: str) -> str:
    """The text of the first element matching `css`."""
    return visible(one(doc, css))


def texts(doc: LexborHTMLParser | LexborNode, css: str) -> list[str]:
    """The text of every element matching `css`, in page order."""
    return [visible(node) for node in doc.css(css)]


def attr(doc: LexborHTMLParser | LexborNode, css: str, name: str) -> str | None:
    """An attribute of the first element matching `css` (None when it is absent or has no value)."""
    return one(doc, css).attributes.get(name)


def form_values(doc: LexborHTMLParser, form_css: str = "form") -> MultiDict:
    """What the form would send as it stands: each named control's value, in page order (a select's
    chosen option, the first when none is marked; a textarea's text; checked boxes only). Controls
    outside the form that name it in `form=` count too, as in a browser."""
    form = one(doc, form_css)
    inside = {node.mem_id for node in form.css("input, select, textarea")}

    def belongs(node: LexborNode) -> bool:
        named = node.attributes.get("form")
        return named == form.id if named is not None else node.mem_id in inside

    values = MultiDict()
    for node in filter(belongs, doc.css("input, select, textarea")):
        name = node.attributes.get("name")
        if not name or "disabled" in node.attributes:
            continue
        if node.tag == "textarea":
            values.add(name, node.text())
        elif node.tag == "select":
            options = node.css("option")
            chosen = [o for o in options if "selected" in o.attributes] or options[:1]
            for option in chosen:
                values.add(name, option.attributes.get("value", visible(option)) or "")
        else:
            kind = (node.attributes.get("type") or "text").lower()
            if kind in NOT_SENT or (kind in ("checkbox", "radio") and "checked" not in node.attributes):
                continue
            values.add(name, node.attributes.get("value") or ("on" if kind in ("checkbox", "radio") else ""))
    return values


def table_rows(doc: LexborHTMLParser | LexborNode, css: str = "table") -> list[list[str]]:
    """The body rows (those with a td) of the first table matching `css`: each row's cells, th and td,
    as text. A table nested in a cell is part of that cell's text, not rows of its own."""
    table = one(doc, css)

    def own(row: LexborNode) -> bool:
        holder = row.parent
        while holder.tag != "table":
            holder = holder.parent
        return holder.mem_id == table.mem_id

    rows = [[cell for cell in row.iter() if cell.tag in ("th", "td")] for row in filter(own, table.css("tr"))]
    return [[visible(cell) for cell in cells] for cells in rows if any(cell.tag == "td" for cell in cells)]


def errors_for(doc: LexborHTMLParser, field_id: str) -> list[str]:
    """The error messages shown with a form field (by its id): the portal's line tied to the field
    by aria-describedby, or the admin's list under the field. Empty when the field has none."""
    field = one(doc, f'[id="{field_id}"]')
    described = (field.attributes.get("aria-describedby") or "").split()
    portal = [doc.css_first(f'[id="{ref}"].field-error') for ref in described]
    if messages := [visible(node) for node in portal if node is not None]:
        return messages
    group = field.parent
    while group is not None and "form-group" not in (group.attributes.get("class") or "").split():
        group = group.parent
    return texts(group, ".invalid-feedback li") if group is not None else []


def flashes(doc: LexborHTMLParser) -> list[str]:
    """The messages flashed at the top of the page (portal or admin), without the admin's close button."""
    return [" ".join("".join(part.text() for part in node.iter(include_text=True) if part.tag != "button").split())
            for node in doc.css(".flashes .flash, .alert")]


def csrf_token(doc: LexborHTMLParser) -> str:
    """The CSRF token the page's forms carry."""
    token = attr(doc, 'input[name="csrf_token"]', "value")
    assert token, "the page's CSRF token field is empty"
    return token


def list_column(doc: LexborHTMLParser, name: str) -> list[str]:
    """The cells of one column (by field name) of a Flask-Admin list, top to bottom."""
    return texts(doc, f"table.model-list td.col-{name}")

"""Patients in the portal: the searchable list, the patient page, create, edit and delete."""
from flask import flash, redirect, render_template, url_for
from htmx_flask import request

from healthpal.domain import assessments, channels, comparison, overview, paging, patients, rules
from healthpal.domain.exceptions import Invalid, Stale
from healthpal.web import bp, charts, conflicts, forms, me, security

VIA = channels.PORTAL
PAGE_SIZE = 20
SORTS = {"full_name": "Name, A to Z", "-full_name": "Name, Z to A",
         "-birthdate": "Youngest first", "birthdate": "Oldest first",
         "-last_assessed_on": "Last assessed, most recent first",
         "last_assessed_on": "Last assessed, longest ago first (never first)",
         "-last_score": "Latest score, highest first", "last_score": "Latest score, lowest first"}
NOT_ASSESSED = {str(days): f"Not assessed in the last {days} days" for days in patients.NOT_ASSESSED_DAYS}
LABELS = {"full_name": "Full name", "gender": "Gender", "birthdate": "Birthdate", "phone": "Phone",
          "address": "Google Place ID", "address_label": "Address"}


def wants_fragment() -> bool:
    """An htmx request for part of a page (a history restore needs the whole page)."""
    return bool(request.htmx) and not request.htmx.history_restore_request


def list_url(query: dict, **changes) -> str:
    """The patient list's address for `query` with `changes` (defaults left out, so URLs stay short)."""
    merged = {**query, "page": None, **changes}
    if merged["sort"] == "full_name":
        merged["sort"] = None
    if merged["page"] == 1:
        merged["page"] = None
    return url_for("web.patient_list", **{k: v for k, v in merged.items() if v})


def list_query(args) -> dict:
    """The list's search, filters and sort from the query string (unknown values dropped)."""
    return {
        "q": args.get("q", "").strip(),
        "gender": args.get("gender", "") if args.get("gender") in rules.GENDERS else "",
        "not_assessed": args.get("not_assessed", "") if args.get("not_assessed") in NOT_ASSESSED else "",
        "sort": args.get("sort") if args.get("sort") in SORTS else "full_name",
    }


@bp.get("/")
def patient_list():
    """The clinician's patients: search by name, phone or date of birth, filter by gender and by
    time since the last assessment, sort, page."""
    query = list_query(request.args)
    page = patients.search(actor=me(), via=VIA, text=query["q"], gender=query["gender"] or None,
                           not_assessed_days=int(query["not_assessed"] or 0), ordering=query["sort"],
                           page=paging.number(request.args.get("page")), page_size=PAGE_SIZE)
    latest = assessments.latest_for(actor=me(), via=VIA, patient_ids=[p.id for p in page.items])
    context = {"page": page, "latest": latest, "query": query, "sorts": SORTS,
               "not_assessed": NOT_ASSESSED, "age": patients.age, "list_url": list_url}
    if wants_fragment():  # the address bar shows the tidy URL of what is now on screen
        headers = {"Vary": "HX-Request", "HX-Push-Url": list_url(query, page=page.number)}
        return render_template("patients/_results.html", fragment=True, **context), 200, headers
    return render_template("patients/index.html", **context), 200, {"Vary": "HX-Request"}


@bp.route("/patients/new", methods=["GET", "POST"])
def patient_new():
    """Add a patient; on a mistake the form comes back with each message by its field."""
    security.allow_google_maps()
    if request.method == "GET":
        return render_template("patients/form.html", patient=None, values={}, errors={})
    data = forms.patient_data(request.form)
    try:
        patient = patients.create(actor=me(), via=VIA, data=data)
    except Invalid as error:
        return render_template("patients/form.html", patient=None, values=data, errors=error.errors), 422
    flash(f"{patient.full_name} was added.", "success")
    return redirect(url_for("web.patient_detail", patient_id=patient.id))


@bp.get("/patients/<int:patient_id>")
def patient_detail(patient_id: int):
    """A patient's details, assessment history (filterable by type) and score trends."""
    patient, history, last_change = overview.patient(actor=me(), via=VIA, patient_id=patient_id)
    types = sorted({row.type for row in history})
    kind = request.args.get("type", "")
    shown = [row for row in history if row.type == kind] if kind in types else history
    context = {"patient": patient, "age": patients.age(patient), "history": shown,
               "types": types, "kind": kind if kind in types else "", "charts": charts.trends(shown),
               "choices": comparison.comparable(history), "chosen": {}, "errors": {},
               "last_change": last_change}
    template = "patients/_history.html" if wants_fragment() else "patients/detail.html"
    return render_template(template, **context), 200, {"Vary": "HX-Request"}


def _readable(values: dict) -> dict:
    return {**values, "gender": rules.GENDERS.get(values["gender"], values["gender"])}


@bp.route("/patients/<int:patient_id>/edit", methods=["GET", "POST"])
def patient_edit(patient_id: int):
    """Change a patient's details. The form carries the version it was opened at: saving over a newer
    one changes nothing and comes back with who saved it, when, and their values beside the user's."""
    security.allow_google_maps()
    if request.method == "GET":
        patient = patients.read(actor=me(), via=VIA, patient_id=patient_id)
        return render_template("patients/form.html", patient=patient, values=forms.patient_values(patient),
                               errors={}, version=patient.version)
    patient = patients.get(actor=me(), via=VIA, patient_id=patient_id)
    data = forms.patient_data(request.form)
    try:
        patients.update(actor=me(), via=VIA, patient_id=patient.id, data=data, expected=forms.version(request.form))
    except Invalid as error:
        return render_template("patients/form.html", patient=patient, values=data, errors=error.errors,
                               version=request.form.get("version", "")), 422
    except Stale as stale:
        conflict = conflicts.summary(stale, conflicts.differences(
            LABELS, _readable(forms.stored_patient(stale.current)), _readable(data)))
        return render_template("patients/form.html", patient=patient, values=data, errors={},
                               version=stale.version, conflict=conflict), 409
    flash("The patient's details were saved.", "success")
    return redirect(url_for("web.patient_detail", patient_id=patient.id))


@bp.route("/patients/<int:patient_id>/delete", methods=["GET", "POST"])
def patient_delete(patient_id: int):
    """Ask first (saying how many assessments go too), then delete; if the patient changed since the
    question was asked, ask again."""
    patient = patients.get(actor=me(), via=VIA, patient_id=patient_id)
    if request.method == "POST":
        name = patient.full_name
        try:
            patients.delete(actor=me(), via=VIA, patient_id=patient.id, expected=forms.version(request.form))
        except Stale as stale:
            return _confirm_delete(patients.get(actor=me(), via=VIA, patient_id=patient_id),
                                   conflicts.summary(stale)), 409
        flash(f"{name} and their assessments were deleted.", "success")
        return redirect(url_for("web.patient_list"))
    return _confirm_delete(patient, None)


def _confirm_delete(patient, conflict):
    count = patients.assessment_count(actor=me(), via=VIA, patient_id=patient.id)
    return render_template("patients/delete.html", patient=patient, count=count, conflict=conflict)

"""The inbox: the reports routed to this person's partner, urgent then newest first,
filtered in SQL, a page at a time; and the CSV export of a date range."""
import csv
import io
from datetime import date, datetime, timedelta, timezone

from flask import Response, current_app, render_template, request, url_for
from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import load_only, selectinload

from ..models import Report, ReportRoute, StaffUser
from ..report import registry
from ..services import reports
from ..services.reports import STATUSES
from ..services.working_days import is_overdue, overdue_before
from . import language
from .access import current_staff, signed_in
from .blueprint import bp, db, sealer

PAGE = 50  # rows a page: the newest matches first, the rest on the pages after (filters kept)
# What the inbox shows of a report: never the sealed answers or contact details, which
# would be read (and, on SQLite, sorted) for every row only to be thrown away.
LISTED = (Report.reference, Report.form, Report.lang, Report.status, Report.urgent, Report.created_at,
          Report.assigned_to_id, Report.interpreter, Report.interpreter_language)


def _date_arg(name):
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


def _page_arg():
    """The page asked for: 1 unless a whole number from 1 (a page past the last shows the last)."""
    value = request.args.get("page", "")
    return max(1, int(value)) if value.isdigit() and len(value) < 7 else 1


def _day_start(day):
    return datetime.combine(day, datetime.min.time(), timezone.utc)


def conditions(user, args):
    """The inbox's filters as WHERE clauses on the partner's reports, so that a page holds
    the newest matches whatever their age."""
    where = []
    status = args.get("status", "")
    if status in STATUSES:
        where.append(Report.status == status)
    if args.get("form", "") in {flow.slug for flow, _ in registry.FLOWS.values()}:
        where.append(Report.form == args["form"])
    area = args.get("area", "")
    if area:
        where.append(Report.area == area[:40])
    assigned = args.get("assigned", "")
    if assigned == "me":
        where.append(Report.assigned_to_id == user.id)
    elif assigned == "none":
        where.append(Report.assigned_to_id.is_(None))
    since, until = _date_arg("from"), _date_arg("to")
    if since:
        where.append(Report.created_at >= _day_start(since))
    if until:
        where.append(Report.created_at < _day_start(until + timedelta(days=1)))
    return where


def page_ids(user, where, page):
    """The ids on this page of the partner's matching reports. Urgent reports not yet
    closed come first (the reporter said it is still happening, or a business is under
    attack), then the newest. Only ids are sorted; the page's rows are read after."""
    urgent_first = case((and_(Report.urgent, Report.status != "closed"), 0), else_=1)
    return db().scalars(select(Report.id).join(ReportRoute).where(ReportRoute.partner == user.partner, *where)
                        .order_by(urgent_first, Report.created_at.desc(), Report.id.desc())
                        .limit(PAGE).offset((page - 1) * PAGE)).all()


def counts(user, where, cutoff):
    """In one pass over the partner's reports: how many match the filters, how many are
    new and how many of those are overdue (the last two whatever the filters)."""
    new = Report.status == "new"
    matching = func.count().filter(and_(*where)) if where else func.count()
    row = db().execute(select(matching, func.count().filter(new), func.count().filter(new, Report.created_at < cutoff))
                       .select_from(Report).join(ReportRoute).where(ReportRoute.partner == user.partner)).one()
    return {"matching": row[0], "new": row[1], "overdue": row[2]}


def pagination(page, pages, args):
    """GOV.UK pagination for the inbox: previous and next, the first and last page, the
    pages either side of this one; every link keeps the filters."""
    def href(number):
        return url_for("partners.inbox", **{**{k: v for k, v in args.items() if k != "page" and v}, "page": number})
    if pages <= 1:
        return None
    items, last = [], 0
    for number in range(1, pages + 1):
        if number in (1, pages) or abs(number - page) <= 1:
            if number - last > 1:
                items.append({"ellipsis": True})
            items.append({"number": number, "href": href(number), "current": number == page})
            last = number
    return {"items": items, "landmarkLabel": "Pages of reports",
            "previous": {"href": href(page - 1)} if page > 1 else None,
            "next": {"href": href(page + 1)} if page < pages else None}


@bp.get("/")
@signed_in(roles=("caseworker", "lead"))
def inbox():
    user = current_staff()
    now = datetime.now(timezone.utc)
    cutoff = overdue_before(now, current_app.config.get("PARTNER_ACK_WORKING_DAYS", 2))
    where = conditions(user, request.args)
    found = counts(user, where, cutoff)
    pages = max(1, -(-found["matching"] // PAGE))
    page = min(_page_arg(), pages)
    ids = page_ids(user, where, page)
    by_id = {report.id: report for report in db().scalars(
        select(Report).where(Report.id.in_(ids))
        .options(load_only(*LISTED), selectinload(Report.assigned_to).load_only(StaffUser.email)))}
    rows = [by_id[report_id] for report_id in ids]
    first = (page - 1) * PAGE + 1
    return render_template("partners/inbox.html", user=user, rows=rows, counts=found, statuses=STATUSES,
                           flows=[flow for flow, _ in registry.FLOWS.values()], cutoff=cutoff, is_overdue=is_overdue,
                           args=request.args, language_of=language.of_report,
                           shown=(first, first + len(rows) - 1), pagination=pagination(page, pages, request.args))


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value):
    """A spreadsheet must never run what a reporter typed: formula-like cells are quoted."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_response(rows, header, filename):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([csv_safe(x) for x in row])
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename={filename}"})


@bp.get("/export.csv")
@signed_in(roles=("caseworker", "lead"))
def export():
    user = current_staff()
    since, until = _date_arg("from") or date(2000, 1, 1), _date_arg("to") or date.today()
    rows = reports.export(db(), user, _day_start(since), _day_start(until + timedelta(days=1)), sealer(),
                          f"{since} to {until}")
    return csv_response(rows, ["reference", "form", "language", "status", "received", "answers", "files"],
                        f"{user.partner}-{since}-{until}.csv")

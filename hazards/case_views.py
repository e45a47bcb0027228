"""The case page (photos before/after, map, timeline, the acts the viewer may take next), "my
tasks", and hazard photos served with the case's own access rule (never a public /media/ URL)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from hazards import closed_loop as hazards
from hazards.models import HazardEvent, HazardPhoto, HazardReport
from hazards.my_tasks import tasks_for
from hazards.photos import PhotoRejected, read_upload

S = HazardReport.Status
NOTE_REQUIRED = frozenset({S.REJECTED, S.RETURNED, S.POSTPONED})


def timeline(report: HazardReport, *, public: bool = False) -> list[dict]:
    """The history as people read it: when, what happened, by whom (staff only), and why."""
    rows = []
    events = HazardEvent.objects.filter(report=report).select_related("actor").order_by("at", "id")
    for e in events:
        what = S(e.to_status).label if e.to_status in S.values else e.to_status
        changed = e.from_status != e.to_status
        # The public sees each step and the reason of a refusal, not staff names or internal notes.
        show_note = not public or e.to_status in (S.REJECTED, S.DUPLICATE)
        rows.append(
            {
                "at": e.at,
                "status": e.to_status,
                "what": what if changed else e.note,
                "what_is_data": not changed,  # a stored note (moved pin, rating), not a label
                "who": "" if public else (e.actor.get_username() if e.actor else ""),
                "role": "" if public else e.actor_role,
                # The first event's note is the automatic "reported", not worth repeating.
                "note": e.note if changed and show_note and e.from_status else "",
            }
        )
    return rows


def _photos(report: HazardReport) -> dict[str, list[HazardPhoto]]:
    out: dict[str, list[HazardPhoto]] = {"before": [], "after": []}
    for p in report.photos.all():
        out["after" if p.kind == HazardPhoto.Kind.AFTER else "before"].append(p)
    return out


def _departments(report: HazardReport) -> list[str]:
    names = set(
        report.street_office.hazard_categories.exclude(department="").values_list(
            "department", flat=True
        )
    )
    return sorted(names | ({report.department} if report.department else set()))


def _deadline(raw: str):
    value = parse_datetime(raw) if raw else None
    if value is not None and timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


def _perform(request: HttpRequest, report: HazardReport) -> str | None:
    """Carry out the posted act; returns the reason it was refused, or None when it was done."""
    to = request.POST.get("to", "")
    note = request.POST.get("note", "").strip()[:2000]
    if to in NOTE_REQUIRED and not note:
        return _("请填写原因说明。")
    duplicate_of = None
    if to == S.DUPLICATE:
        raw = request.POST.get("duplicate_of", "").strip().lstrip("#")
        duplicate_of = (
            hazards.visible_reports(request.user).filter(pk=int(raw)).first()
            if raw.isdigit()
            else None
        )
        if duplicate_of is None:
            return _("找不到编号为“%s”的上报，请填写原上报的编号。") % raw
    upload = request.FILES.get("after_photo")
    try:
        after = read_upload(upload) if upload else None
        hazards.transition(
            report,
            to,
            request.user,
            note=note,
            duplicate_of=duplicate_of,
            after_photo=after,
            new_deadline=_deadline(request.POST.get("new_deadline", "")),
            department=request.POST.get("department") or None,
        )
    except (hazards.TransitionDenied, hazards.TransitionInvalid, PhotoRejected) as e:
        return str(e)
    return None


@login_required
def case_page(request: HttpRequest, pk: int) -> HttpResponse:
    report = get_object_or_404(
        hazards.visible_reports(request.user).select_related(
            "category", "community", "grid", "street_office", "duplicate_of"
        ),
        pk=pk,
    )
    error = None
    if request.method == "POST":
        to = request.POST.get("to", "")
        error = _perform(request, report)
        if error is None:
            label = hazards.action_label(report.status, to)
            messages.success(request, _("已完成：%s") % label)
            return redirect("hazards:case", pk=report.pk)
        report.refresh_from_db()  # the page again, with the reason the act was refused
    actions = [
        {"to": to, "label": hazards.action_label(report.status, to)}
        for to in hazards.allowed_transitions(report, request.user)
    ]
    now = timezone.now()
    overdue = bool(
        report.deadline_at
        and report.deadline_at < now
        and report.status in hazards.PENDING_STATUSES
    )
    context = {
        "title": _("工单 #%d") % report.pk,
        "r": report,
        "photos": _photos(report),
        "events": timeline(report),
        "actions": actions,
        "error": error,
        "overdue": overdue,
        "departments": _departments(report),
        "note_required": [str(s) for s in NOTE_REQUIRED],
        "statuses": S,
    }
    return render(request, "hazards/case.html", context)


@login_required
def tasks_page(request: HttpRequest) -> HttpResponse:
    rows = list(tasks_for(request.user)[:300])
    allowed = hazards.allowed_transitions_bulk(rows, request.user)
    items = [
        {
            "r": r,
            "overdue": r.is_overdue,
            "next": [hazards.action_label(r.status, to) for to in allowed[r.pk]],
        }
        for r in rows
    ]
    return render(
        request,
        "hazards/tasks.html",
        {"title": _("我的任务"), "items": items, "n_overdue": sum(i["overdue"] for i in items)},
    )


def status_counts(qs) -> dict[str, int]:
    """How many cases are in each status (one GROUP BY), for the list's filter."""
    return dict(qs.order_by().values_list("status").annotate(n=Count("id")))


def photo_response(photo: HazardPhoto, size: str) -> FileResponse:
    field = photo.thumbnail if size == "thumb" else photo.image
    try:
        handle = field.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404(_("照片文件不存在。")) from None
    response = FileResponse(handle, content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=3600"
    return response


@login_required
def photo(request: HttpRequest, pk: int, size: str) -> FileResponse:
    """A photo, to whoever may see its case."""
    visible = hazards.visible_reports(request.user)
    return photo_response(get_object_or_404(HazardPhoto, pk=pk, report__in=visible), size)

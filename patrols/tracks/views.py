"""Mobile-friendly upload page: the same ingest as the API, as a plain form (works without JS)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from geo.geojson import feature, feature_collection
from geo.local_days import local_date
from patrols.models import Track
from patrols.tasks import enqueue_recheck
from patrols.tracks.access import can_upload_for, visible_uploads
from patrols.tracks.cleaning import describe_cleaning
from patrols.tracks.formats import parse_column_mapping
from patrols.tracks.ingest import TrackRejected, ingest_file, max_upload_bytes
from stewards.models import PairMember, Steward, pair_exists_on

RECENT_UPLOADS = 10


def flag_labels() -> dict[str, str]:
    return {
        "vehicle_speed": _("疑似乘车（持续速度远超步行）"),
        "above_walking_speed": _("多数时间快于步行"),
    }


def _recent_uploads(user) -> list[dict]:
    uploads = (
        visible_uploads(user)
        .select_related("steward", "uploaded_by")
        .order_by("-created_at")[:RECENT_UPLOADS]
    )
    return [
        {
            "upload": u,
            "points": (u.cleaning_report or {}).get("points_out", 0),
            "tracks": (u.cleaning_report or {}).get("tracks_out", 0),
        }
        for u in uploads
    ]


def _stewards_for(user) -> list[Steward]:
    own = list(Steward.objects.filter(user=user))
    offices = user.memberships.filter(role__in=("planner", "supervisor")).values("street_office_id")
    others = (
        Steward.objects.filter(street_office_id__in=offices)
        .exclude(user=user)
        .order_by("name")[:500]
    )
    return own + list(others)


# Preview lines are simplified to ~2 m: a few hundred vertices for a 2-hour walk.
PREVIEW_TOLERANCE_DEG = 2e-5


def _preview(tracks: list[Track]) -> dict:
    """The stored tracks as GeoJSON for the preview map (one GEOS call per track)."""
    return feature_collection(
        feature(
            t.geom.simplify(PREVIEW_TOLERANCE_DEG, preserve_topology=False).json,
            {"start": t.started_at.isoformat(), "points": t.point_count},
        )
        for t in tracks
    )


def _day_links(steward: Steward, tracks: list[Track]) -> list[dict]:
    """For each local day the upload touches, the day map and calendar of the pair the steward
    belonged to that day."""
    links = []
    for day in sorted({local_date(t.started_at) for t in tracks}):
        pair_id = (
            PairMember.objects.on(day)
            .filter(pair_exists_on(day, "pair__"), steward=steward)
            .values_list("pair_id", flat=True)
            .first()
        )
        if pair_id is not None:
            links.append(
                {
                    "day": day,
                    "map": reverse("patrols:pair-day", args=[pair_id, day.isoformat()]),
                    "calendar": reverse("patrols:pair-calendar", args=[pair_id])
                    + f"?month={day:%Y-%m}",
                }
            )
    return links


@login_required
def upload_track(request: HttpRequest) -> HttpResponse:
    context: dict = {
        "title": _("上传巡查轨迹"),
        "stewards": _stewards_for(request.user),
        "max_mb": max_upload_bytes() // (1024 * 1024),
    }
    status = 200
    if request.method == "POST":
        f = request.FILES.get("file")
        sid = request.POST.get("steward") or None
        steward = (
            Steward.objects.filter(pk=sid).first()
            if sid
            else Steward.objects.filter(user=request.user).first()
        )
        if f is None:
            context["error"], status = _("请选择要上传的轨迹文件。"), 400
        elif steward is None or not can_upload_for(request.user, steward):
            context["error"], status = (
                _("您不能为该管家上传轨迹：只能上传本人或同组搭档的轨迹。"),
                403,
            )
        elif f.size > max_upload_bytes():
            context["error"], status = (
                _("文件超过 %(mb)d MB 的上限。") % {"mb": context["max_mb"]},
                413,
            )
        else:
            try:
                result = ingest_file(
                    f,
                    filename=f.name or "upload",
                    steward=steward,
                    uploaded_by=request.user,
                    crs=request.POST.get("crs") or "wgs84",
                    columns=parse_column_mapping(request.POST.get("columns")),
                    enqueue=lambda u: enqueue_recheck(u, requested_by=request.user),
                )
            except TrackRejected as exc:
                context["error"], status = exc.message, exc.http_status
            else:
                labels = flag_labels()
                tracks = list(Track.objects.filter(id__in=result.track_ids).order_by("started_at"))
                for t in tracks:
                    t.flag_text = "、".join(labels.get(f, f) for f in t.flags)
                context["result"] = result
                context["tracks"] = tracks
                context["preview"] = _preview(tracks)
                context["cleaning"] = describe_cleaning(result.report)
                # Same as the API: the re-check is a job stored with the upload; the page
                # follows it (queued, running, done with the day's verdicts, or failed and why).
                context["recheck_job"] = result.job_id
                context["day_links"] = _day_links(steward, tracks)
    context["recent"] = _recent_uploads(request.user)
    return render(request, "patrols/track_upload.html", context, status=status)

"""The planner's street-network update page: upload, see the change, apply it, undo it.

Uploading runs the real import as a dry run (everything, claims included, then rolled back), so
the report and the map show exactly what applying will do. Applying runs it again in one
transaction from the kept file; undoing reverts claims and network together.
"""

from __future__ import annotations

import secrets
import shutil
import time
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from geo.importers.change_report import class_labels
from geo.importers.reading import ImportFileError
from geo.importers.streets import import_streets
from geo.models import NetworkImport, Segment, StreetOffice
from geo.tenancy import WRITE_ROLES, offices_for
from grids.assignment import AssignmentError
from grids.street_changes import undo_network_import

UPLOAD_SUFFIXES = {".gpkg", ".geojson", ".json", ".osm", ".pbf"}
MAX_UPLOAD_BYTES = 200 * 1024 * 1024


def _upload_dir() -> Path:
    return Path(settings.MEDIA_ROOT).parent / "network_uploads"


def _forget_old_uploads(max_age_s: float = 86_400) -> None:
    """Uploads previewed but never applied are kept a day, then removed (on the next page view)."""
    folder = _upload_dir()
    if not folder.is_dir():
        return
    cutoff = time.time() - max_age_s
    for upload in folder.iterdir():
        if upload.is_dir() and upload.stat().st_mtime < cutoff:
            shutil.rmtree(upload, ignore_errors=True)


def _office(request: HttpRequest, street_office: int) -> StreetOffice:
    if street_office not in offices_for(request.user, WRITE_ROLES):
        raise Http404
    return get_object_or_404(StreetOffice, pk=street_office)


def _sources(office: StreetOffice) -> list[str]:
    return sorted(set(office.segments.current().values_list("source", flat=True)))


def _foreign_source(office: StreetOffice, source: str, user) -> bool:
    """A dataset that also covers offices this planner does not plan: not theirs to re-import."""
    mine = offices_for(user, WRITE_ROLES)
    return (
        Segment.objects.current()
        .filter(source=source, street_office__isnull=False)
        .exclude(street_office_id__in=mine)
        .exists()
    )


def _imports(office: StreetOffice) -> list[tuple[NetworkImport, str]]:
    """The office's recent imports, each with its changes in words (unchanged left out)."""
    labels = class_labels()
    runs = NetworkImport.objects.filter(source__in=_sources(office) or ["-"]).order_by("-pk")
    return [
        (
            run,
            " · ".join(
                f"{labels[k]} {v}"
                for k, v in run.counts.items()
                if v and k in labels and k != "unchanged"
            ),
        )  # fmt: skip
        for run in runs[:20]
    ]


def _run(request: HttpRequest, office: StreetOffice, path: Path, source: str, *, dry: bool):
    layer = request.POST.get("layer") or None
    if path.suffix.lower() == ".gpkg" and layer is None:
        layer = "streets" if "streets" in _layers(path) else None
    return import_streets(path, source=source, dry_run=dry, user=request.user, layer=layer)


def _layers(path: Path) -> list[str]:
    import pyogrio

    try:
        return [name for name, _geom in pyogrio.list_layers(path)]
    except Exception:  # noqa: BLE001 - an unreadable file is reported by the importer itself
        return []


@login_required
def network_page(request: HttpRequest, street_office: int) -> HttpResponse:
    """GET: the upload form and past imports. POST (a file): the dry-run report with its map."""
    office = _office(request, street_office)
    _forget_old_uploads()
    context = {
        "title": _("路网更新 · %(name)s") % {"name": office.name},
        "office": office,
        "sources": _sources(office),
        "imports": _imports(office),
    }
    if request.method != "POST":
        return render(request, "grids/network_import.html", context)
    upload = request.FILES.get("file")
    source = (request.POST.get("source") or "").strip()
    error = None
    if upload is None or not source:
        error = _("请选择文件并填写数据集名称。")
    elif Path(upload.name).suffix.lower() not in UPLOAD_SUFFIXES:
        error = _("不支持的文件类型：请上传 GeoPackage、GeoJSON 或 OSM（.osm/.pbf）文件。")
    elif upload.size > MAX_UPLOAD_BYTES:
        error = _("文件太大（上限 200 MB）。")
    elif _foreign_source(office, source, request.user):
        error = _("数据集“%(source)s”也覆盖您不负责的街道，不能在这里更新。") % {"source": source}
    if error:
        return render(request, "grids/network_import.html", {**context, "error": error}, status=400)
    token = secrets.token_hex(12)
    folder = _upload_dir() / token
    folder.mkdir(parents=True)
    path = folder / Path(upload.name).name
    with path.open("wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    try:
        result = _run(request, office, path, source, dry=True)
    except ImportFileError as exc:
        shutil.rmtree(folder, ignore_errors=True)
        return render(
            request, "grids/network_import.html", {**context, "error": str(exc)}, status=400
        )
    request.session[f"network-upload-{token}"] = {"source": source, "path": str(path),
                                                  "layer": request.POST.get("layer", "")}  # fmt: skip
    return render(
        request,
        "grids/network_import.html",
        {
            **context,
            "result": result,
            "report": result.report,
            "counts": result.counts,
            "token": token,
            "labels": class_labels(),
        },  # fmt: skip
    )


@login_required
@require_POST
def network_apply(request: HttpRequest, street_office: int, token: str) -> HttpResponse:
    office = _office(request, street_office)
    kept = request.session.pop(f"network-upload-{token}", None)
    if kept is None:
        messages.error(request, _("这次上传已经应用过或已过期，请重新上传文件。"))
        return redirect("network:page", street_office=office.pk)
    path = Path(kept["path"])
    try:
        result = _run(request, office, path, kept["source"], dry=False)
    except (ImportFileError, AssignmentError) as exc:
        messages.error(request, str(exc))
        return redirect("network:page", street_office=office.pk)
    finally:
        shutil.rmtree(path.parent, ignore_errors=True)
    messages.success(request, _("路网已更新：%(summary)s") % {"summary": result.summary()})
    return redirect("network:import", street_office=office.pk, run=result.run_id)


@login_required
def network_import(request: HttpRequest, street_office: int, run: int) -> HttpResponse:
    office = _office(request, street_office)
    item = get_object_or_404(NetworkImport, pk=run, source__in=_sources(office) or ["-"])
    return render(
        request,
        "grids/network_import.html",
        {
            "title": _("路网导入 #%(id)d") % {"id": item.pk},
            "office": office,
            "run": item,
            "report": item.report,
            "counts": item.counts,
            "labels": class_labels(),
        },  # fmt: skip
    )


@login_required
@require_POST
def network_undo(request: HttpRequest, street_office: int, run: int) -> HttpResponse:
    office = _office(request, street_office)
    item = get_object_or_404(NetworkImport, pk=run, source__in=_sources(office) or ["-"])
    try:
        undo_network_import(item, user=request.user)
    except AssignmentError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("已撤销路网导入 #%(id)d，认领已恢复。") % {"id": item.pk})
    return redirect("network:import", street_office=office.pk, run=item.pk)

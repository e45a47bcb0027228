"""The shell around every page: which links the top bar shows a person, and the base-map config.

The one place that decides the top bar (context processor ``shell``, installed in settings). A
link appears only for the roles that may open it (``geo.Membership`` roles; department users are
the members of ``hazards``' departments, read through the relation ``user.hazard_departments``
so geo imports nothing above it) and only when its page exists: links to pages that other parts
of the system mount (my tasks, the patrol recorder, following a report) show once their URL
resolves.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.http import HttpRequest
from django.urls import NoReverseMatch, Resolver404, resolve, reverse
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from geo.local_days import local_today
from geo.models import Community, Membership, StreetOffice

Role = Membership.Role


@dataclass(frozen=True)
class NavLink:
    label: str
    url: str
    key: str  # stable id for tests and styling: data-nav="<key>"


def _reverse(name: str, *args: Any) -> str | None:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def _mounted(path: str) -> str | None:
    """``path`` (without language prefix) in the current language, if some app serves it."""
    lang = get_language() or settings.LANGUAGE_CODE
    url = path if lang == settings.LANGUAGE_CODE else f"/{lang}{path}"
    try:
        resolve(url)
    except Resolver404:
        return None
    return url


def _first(*candidates: str | None) -> str | None:
    return next((c for c in candidates if c), None)


def _steward_pair_id(user: Any) -> int | None:
    try:
        steward = user.steward
    except ObjectDoesNotExist:
        return None
    member = steward.memberships.on(local_today()).order_by("-pk").first()
    return member.pair_id if member else None


def _has_steward(user: Any) -> bool:
    try:
        return user.steward is not None
    except ObjectDoesNotExist:
        return False


LABELS = {
    "district-map": gettext_lazy("街区地图"),
    "assign": gettext_lazy("认领分配"),
    "registry": gettext_lazy("管家名册"),
    "boards": gettext_lazy("责任分布牌"),
    "coverage": gettext_lazy("认领覆盖"),
    "compliance": gettext_lazy("巡查达标"),
    "coverage-map": gettext_lazy("覆盖地图"),
    "hazard-map": gettext_lazy("隐患地图"),
    "hazard-cases": gettext_lazy("隐患案件"),
    "credits": gettext_lazy("积分考核"),
    "tasks": gettext_lazy("我的任务"),
    "patrol": gettext_lazy("我的巡查"),
    "upload": gettext_lazy("上传轨迹"),
    "calendar": gettext_lazy("我组日历"),
    "points": gettext_lazy("我的积分"),
    "report": gettext_lazy("上报隐患"),
    "follow": gettext_lazy("查询上报"),
    "api": gettext_lazy("API 文档"),
}


def _office_links(office: StreetOffice, roles: set[str]) -> list[tuple[str, str | None]]:
    community = Community.objects.filter(street_office=office).order_by("code").first()
    links: list[tuple[str, str | None]] = []
    if Role.PLANNER in roles:
        links += [
            ("assign", community and _reverse("grids:assign", community.pk)),
            ("registry", _reverse("stewards:registry", office.pk)),
            ("boards", community and _reverse("grids:board", community.pk)),
            ("coverage", _reverse("grids:coverage", office.pk)),
        ]
    if Role.SUPERVISOR in roles:
        day = local_today()
        quarter = f"{day.year}Q{(day.month - 1) // 3 + 1}"
        links += [
            ("compliance", _reverse("patrols:compliance")),
            ("coverage-map", _reverse("coverage:map")),
            ("hazard-map", _reverse("hazards:map")),
            ("hazard-cases", _reverse("hazards:cases")),
            ("credits", _reverse("credits:quarter", office.code, quarter)),
        ]
    return links


def nav_links(user: Any) -> list[NavLink]:
    """The top bar's links for ``user``, in the order a person of that role works."""
    links: list[tuple[str, str | None]] = [("district-map", _reverse("geo:district-map"))]
    if not user.is_authenticated:
        links += [
            ("report", _reverse("hazards:report")),
            ("follow", _first(_reverse("hazards:follow"), _mounted("/hazards/follow/"))),
        ]
        return _resolve(links)
    memberships = list(user.memberships.select_related("street_office").order_by("pk"))
    roles = {m.role for m in memberships}
    office = min((m.street_office for m in memberships), key=lambda o: o.code, default=None)
    if office is not None:
        links += _office_links(office, roles)
    if Role.GRID_WORKER in roles or user.hazard_departments.exists():
        links.append(("tasks", _first(_reverse("hazards:tasks"), _mounted("/hazards/tasks/"))))
    if _has_steward(user):
        pair = _steward_pair_id(user)
        links += [
            ("patrol", _mounted("/patrol/")),
            ("upload", _reverse("tracks:upload")),
            ("calendar", pair and _reverse("patrols:pair-calendar", pair)),
            ("points", _reverse("credits:me")),
        ]
    links.append(("report", _reverse("hazards:report")))
    if roles & {Role.PLANNER, Role.SUPERVISOR}:
        links.append(("api", "/api/docs/"))
    return _resolve(links)


def _resolve(links: list[tuple[str, str | None]]) -> list[NavLink]:
    return [NavLink(str(LABELS[key]), url, key) for key, url in links if url]


def basemap_config() -> dict:
    """What basemap.js needs: the endpoint, the optional online tiles, the data attribution."""
    online = None
    if settings.ALLEY_ONLINE_TILES_URL:
        online = {
            "url": settings.ALLEY_ONLINE_TILES_URL,
            "attribution": settings.ALLEY_ONLINE_TILES_ATTRIBUTION,
        }
    return {
        "url": reverse("basemap"),
        "online": online,
        "attribution": _("街巷数据")
        + ' © <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>',
    }


def shell(request: HttpRequest) -> dict:
    """Context processor: ``nav_links`` (lazy: computed when a template uses it) and the config."""
    user = getattr(request, "user", None)
    path = request.path

    def links() -> list[dict]:
        if user is None:
            return []
        return [
            {"label": link.label, "url": link.url, "key": link.key,
             "active": link.url != "/" and path.startswith(link.url.split("?")[0])}
            for link in nav_links(user)
        ]  # fmt: skip

    return {"nav_links": links, "alley_basemap_config": basemap_config}

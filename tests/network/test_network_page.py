"""The planner's network update page: upload → dry-run report with map data → apply → undo."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from geo.models import Membership, NetworkImport, Segment
from grids.models import Claim
from tests.grids import factories as f
from tests.network.conftest import SOURCE, edited_copy

pytestmark = pytest.mark.django_db


def _upload(client, net, path, source=SOURCE):
    return client.post(
        f"/plan/network/{net.office.pk}/",
        {"file": SimpleUploadedFile(path.name, path.read_bytes()), "source": source},
    )


def test_upload_shows_the_change_then_apply_and_undo(client, network, tmp_path):
    net = network
    client.force_login(f.user(net.office))
    assert client.get(f"/plan/network/{net.office.pk}/").status_code == 200
    segments_before = Segment.objects.count()
    open_before = sorted(
        Claim.objects.filter(valid_to__isnull=True).values_list("pair_id", "segment_id")
    )

    page = _upload(client, net, edited_copy(net, tmp_path, "footway", "delete"))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="affected-claims"' in html and 'id="change-features"' in html and "拆分" in html
    assert Segment.objects.count() == segments_before  # only a preview
    token = page.context["token"]
    assert page.context["report"]["features"]["features"]

    applied = client.post(f"/plan/network/{net.office.pk}/apply/{token}/")
    run = NetworkImport.objects.get(source=SOURCE, pk=applied.url.rstrip("/").split("/")[-1])
    assert applied.status_code == 302 and run.counts["split"] == 1
    assert client.get(applied.url).status_code == 200
    # The same upload cannot be applied twice.
    again = client.post(f"/plan/network/{net.office.pk}/apply/{token}/")
    assert again.status_code == 302 and NetworkImport.objects.filter(source=SOURCE).count() == 2

    client.post(f"/plan/network/{net.office.pk}/imports/{run.pk}/undo/")
    run.refresh_from_db()
    assert run.undone_at is not None
    open_after = sorted(
        Claim.objects.filter(valid_to__isnull=True).values_list("pair_id", "segment_id")
    )
    assert open_after == open_before


def test_bad_uploads_are_refused_with_a_reason(client, network, tmp_path):
    net = network
    client.force_login(f.user(net.office))
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    page = _upload(client, net, text)
    assert page.status_code == 400 and "不支持的文件类型" in page.content.decode()
    broken = tmp_path / "broken.gpkg"
    broken.write_bytes(b"\x13" * 200)
    page = _upload(client, net, broken)
    assert page.status_code == 400 and 'id="import-error"' in page.content.decode()


def test_only_the_office_planner_may_update(client, network):
    net = network
    client.force_login(f.user(net.office, role=Membership.Role.SUPERVISOR))
    assert client.get(f"/plan/network/{net.office.pk}/").status_code == 404
    client.force_login(f.user(f.office()))
    assert client.get(f"/plan/network/{net.office.pk}/").status_code == 404


def test_previews_never_applied_are_removed_after_a_day(client, network, tmp_path, settings):
    import os
    import time

    net = network
    settings.MEDIA_ROOT = tmp_path / "media"
    client.force_login(f.user(net.office))
    page = _upload(client, net, edited_copy(net, tmp_path, "footway"))
    kept = tmp_path / "network_uploads" / page.context["token"]
    assert kept.is_dir()
    client.get(f"/plan/network/{net.office.pk}/")
    assert kept.is_dir()  # still waiting to be applied
    old = time.time() - 2 * 86_400
    os.utime(kept, (old, old))
    client.get(f"/plan/network/{net.office.pk}/")
    assert not kept.exists()

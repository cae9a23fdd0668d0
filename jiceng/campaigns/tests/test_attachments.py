"""Photos and files on campaign evidence, four-ones items, activities and lost-contact cases
(issue 17 item 3; S18 four ones, S13 lost contact, S24 activities): checked by kind and size,
kept outside the web root, photos without their location, scoped like their record, audited.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import ExifTags, Image

from jiceng.campaigns.practices import services as practices
from jiceng.campaigns.practices.rules import FourOnesState
from jiceng.campaigns.tests.factories import CampaignWorld, login_as
from jiceng.core.attachments import services
from jiceng.core.attachments.models import Attachment
from jiceng.core.attachments.tests.files import PDF, fake, pdf, photo, photo_bytes
from jiceng.core.models import AuditEvent
from jiceng.members.lost_contact.models import LostContactCase

pytestmark = pytest.mark.django_db


@pytest.fixture
def cw(small):
    return CampaignWorld.make(small)


@pytest.fixture
def mary(cw):
    return cw.member_self()


def _record(cw, member, actor, **kwargs):
    return practices.four_ones_record(
        actor=actor,
        campaign=cw.campaign,
        member=member,
        kind="welfare",
        description="社区义务清扫",
        done_on=dt.date(2005, 8, 6),
        **kwargs,
    )


def _stored_files() -> list[Path]:
    return [p for p in Path(settings.ATTACHMENT_ROOT).rglob("*") if p.is_file()]


def test_a_member_records_an_item_with_a_photo_from_the_phone_page(client, cw, mary):
    user, member = mary
    login_as(client, user)
    response = client.post(
        reverse("campaigns:mine"),
        {
            "kind": "welfare",
            "description": "社区义务清扫",
            "done_on": "2005-08-06",
            "uploads": [photo("清扫.jpg", orientation=6)],
        },
    )
    assert response.status_code == 302
    (attachment,) = Attachment.objects.all()
    assert attachment.original_name == "清扫.jpg"
    assert attachment.is_photo
    assert attachment.mime == "image/jpeg"
    page = client.get(reverse("campaigns:mine")).content.decode()
    assert reverse("core:attachment-thumb", args=[attachment.pk]) in page
    # The photo is upright (the camera's orientation 6 applied: 480 wide, 640 high), and the
    # camera, the orientation tag and the place it was taken are gone.
    kept = Image.open(services.path_of(attachment.stored_name))
    assert kept.size == (480, 640)
    exif = kept.getexif()
    assert ExifTags.Base.Make not in exif
    assert ExifTags.Base.GPSInfo not in exif
    assert ExifTags.Base.Orientation not in exif
    thumb = Image.open(services.path_of(attachment.thumb_name))
    assert max(thumb.size) <= 320
    event = AuditEvent.objects.get(object_type="core.attachment", verb="create")
    assert event.org_path == member.home_path
    assert event.changes["original_name"] == [None, "清扫.jpg"]


def test_files_are_kept_outside_the_web_root_under_generated_names(cw, mary):
    user, member = mary
    item = _record(cw, member, user, uploads=[photo("../../etc/passwd.jpg")])
    (attachment,) = Attachment.objects.filter(owner_id=item.pk)
    assert attachment.original_name == "passwd.jpg"
    stored = services.path_of(attachment.stored_name).resolve()
    assert stored.is_relative_to(Path(settings.ATTACHMENT_ROOT).resolve())
    assert not stored.is_relative_to(Path(settings.STATIC_ROOT).resolve())
    assert "passwd" not in attachment.stored_name


def test_the_record_scopes_its_files(client, cw, mary):
    user, member = mary
    item = _record(cw, member, user, uploads=[photo(), pdf()])
    shot, paper = sorted(Attachment.objects.all(), key=lambda a: a.is_photo, reverse=True)
    # The branch (charlie) and the auditor over the city (dora) read them.
    for reader in (cw.small.charlie, cw.small.dora):
        login_as(client, reader)
        response = client.get(reverse("core:attachment", args=[shot.pk]))
        assert response.status_code == 200
        assert response["Content-Disposition"].startswith("inline")
        assert "sandbox" in response["Content-Security-Policy"]
        response = client.get(reverse("core:attachment", args=[paper.pk]))
        assert response["Content-Disposition"].startswith("attachment")
        assert b"".join(response.streaming_content) == PDF
    # Another district's officer gets the same 404 as for a file that does not exist.
    login_as(client, cw.small.bob)
    for name in ("core:attachment", "core:attachment-thumb"):
        assert client.get(reverse(name, args=[shot.pk])).status_code == 404
    url = reverse("core:attachment-upload", args=["four-ones", item.pk])
    assert client.post(url, {"uploads": [photo()]}).status_code == 404
    assert client.post(reverse("core:attachment-remove", args=[shot.pk])).status_code == 404
    assert Attachment.objects.count() == 2


def test_a_reader_is_offered_no_upload_and_is_refused_one(client, cw, mary):
    user, member = mary
    item = _record(cw, member, user)
    login_as(client, cw.small.dora)  # the auditor reads the unit page but changes nothing
    page = client.get(reverse("campaigns:unit", args=[cw.unit.pk]), {"tab": "fourones"})
    assert 'data-testid="attachment-upload"' not in page.content.decode()
    with pytest.raises(PermissionDenied):
        services.attachments_add(actor=cw.small.dora, record=item, files=[photo()])
    response = client.post(
        reverse("core:attachment-upload", args=["four-ones", item.pk]),
        {"uploads": [photo()], "next": "/campaigns/mine/"},
        follow=True,
    )
    assert "您无权为这条记录上传附件" in response.content.decode()
    assert not Attachment.objects.exists()


def test_a_confirmed_item_takes_files_from_the_branch_only(cw, mary):
    user, member = mary
    item = _record(cw, member, user)
    item = practices.four_ones_confirm(actor=cw.small.charlie, item=item)
    assert item.state == FourOnesState.CONFIRMED
    with pytest.raises(PermissionDenied):
        services.attachments_add(actor=user, record=item, files=[photo()])
    services.attachments_add(actor=cw.small.charlie, record=item, files=[photo()])
    assert Attachment.objects.count() == 1


@pytest.mark.parametrize(
    ("upload", "said"),
    [
        (fake("照片.jpg"), "文件内容须与扩展名一致"),
        (fake("说明.pdf", b"<html><script>alert(1)</script>"), "文件内容须与扩展名一致"),
        (SimpleUploadedFile("a.jpg", PDF), "文件内容须与扩展名一致"),
        (SimpleUploadedFile("空.jpg", b""), "是空的"),
        (SimpleUploadedFile("IMG_0001.jpg", b"\0\0\0\x18ftypheic" + b"\0" * 64), "HEIC"),
        (SimpleUploadedFile("坏.jpg", b"\xff\xd8\xff\xe0" + b"\0" * 64), "无法打开"),
    ],
)
def test_a_file_that_is_not_what_it_says_is_refused_with_the_reason(cw, mary, upload, said):
    user, member = mary
    item = _record(cw, member, user)
    with pytest.raises(ValidationError) as exc:
        services.attachments_add(actor=user, record=item, files=[upload])
    assert said in " ".join(exc.value.messages)
    assert not Attachment.objects.exists()


def test_one_bad_file_keeps_none_of_the_batch_nor_the_record(cw, mary):
    user, member = mary
    before = set(_stored_files())
    with pytest.raises(ValidationError):
        _record(cw, member, user, uploads=[photo(), fake("病毒.jpg")])
    assert not Attachment.objects.exists()
    assert not cw.campaign.four_ones.exists()
    assert set(_stored_files()) == before  # not even the good photo was written


def test_size_limits_per_file_and_per_record(cw, mary, settings):
    user, member = mary
    item = _record(cw, member, user)
    settings.ATTACHMENT_MAX_BYTES = 1000
    with pytest.raises(ValidationError) as exc:
        services.attachments_add(actor=user, record=item, files=[photo()])
    assert "超过了每个文件" in " ".join(exc.value.messages)
    settings.ATTACHMENT_MAX_BYTES = 10 << 20
    settings.ATTACHMENT_MAX_PER_RECORD = 2
    services.attachments_add(actor=user, record=item, files=[pdf(), pdf()])
    with pytest.raises(ValidationError) as exc:
        services.attachments_add(actor=user, record=item, files=[pdf()])
    assert "最多 2 个附件" in " ".join(exc.value.messages)


def test_a_decompression_bomb_is_refused_before_it_is_decoded(cw, mary):
    user, member = mary
    item = _record(cw, member, user)
    out = io.BytesIO()
    Image.new("1", (9000, 9000)).save(out, "PNG")  # 81 megapixels in a few kilobytes
    bomb = SimpleUploadedFile("大图.png", out.getvalue())
    with pytest.raises(ValidationError) as exc:
        services.attachments_add(actor=user, record=item, files=[bomb])
    assert "像素过大" in " ".join(exc.value.messages)


def test_a_large_photo_is_kept_at_a_readable_size(cw, mary):
    user, member = mary
    item = _record(cw, member, user)
    big = SimpleUploadedFile("大.png", photo_bytes((4000, 3000), fmt="PNG"))
    (attachment,) = services.attachments_add(actor=user, record=item, files=[big])
    assert Image.open(services.path_of(attachment.stored_name)).size == (2560, 1920)


def test_removing_a_file_is_audited_and_deletes_it(
    client, cw, mary, django_capture_on_commit_callbacks
):
    user, member = mary
    item = _record(cw, member, user, uploads=[photo()])
    (attachment,) = Attachment.objects.filter(owner_id=item.pk)
    stored = services.path_of(attachment.stored_name)
    assert stored.exists()
    login_as(client, cw.small.charlie)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("core:attachment-remove", args=[attachment.pk]), {"next": "/"})
    assert not Attachment.objects.exists()
    assert not stored.exists()
    assert AuditEvent.objects.filter(object_type="core.attachment", verb="delete").count() == 1


def test_campaign_evidence_and_a_lost_contact_visit_take_files(client, cw):
    small = cw.small
    login_as(client, small.charlie)
    unit_url = reverse("campaigns:unit", args=[cw.unit.pk])
    page = client.get(unit_url).content.decode()
    assert 'data-testid="attachment-upload"' in page
    response = client.post(
        reverse("core:attachment-upload", args=["campaign-unit", cw.unit.pk]),
        {"uploads": [pdf("学习动员总结.pdf")], "next": unit_url},
        follow=True,
    )
    assert "学习动员总结.pdf" in response.content.decode()
    member = small.a.members[0]
    case = LostContactCase.objects.create(
        member=member, member_path=member.home_path, opened_on=dt.date(2005, 7, 1)
    )
    case_url = reverse("members:lost-case", args=[case.pk])
    response = client.post(
        reverse("core:attachment-upload", args=["lost-contact-case", case.pk]),
        {"uploads": [photo("走访.jpg")], "next": case_url},
        follow=True,
    )
    assert "走访.jpg" in response.content.decode()
    login_as(client, small.bob)
    assert client.get(case_url).status_code == 404


def test_an_unknown_kind_of_record_is_a_404(client, cw):
    login_as(client, cw.small.alice)
    url = reverse("core:attachment-upload", args=["nonsense", 1])
    assert client.post(url, {"uploads": [photo()]}).status_code == 404


def test_orphan_files_left_by_a_rollback_are_swept(cw, mary, settings, tmp_path):
    settings.ATTACHMENT_ROOT = tmp_path
    user, member = mary
    item = _record(cw, member, user, uploads=[photo()])
    (kept,) = Attachment.objects.filter(owner_id=item.pk)
    orphan = Path(settings.ATTACHMENT_ROOT) / "2005/09/orphan.jpg"
    orphan.parent.mkdir(parents=True, exist_ok=True)
    orphan.write_bytes(b"x")
    assert services.orphans_sweep(older_than=dt.timedelta(0)) == 1
    assert not orphan.exists()
    assert services.path_of(kept.stored_name).exists()  # the photo and its thumbnail stay
    assert services.path_of(kept.thumb_name).exists()


def test_the_sweep_command_leaves_recent_files(cw, mary, settings, tmp_path):
    from django.core.management import call_command

    settings.ATTACHMENT_ROOT = tmp_path
    fresh = tmp_path / "2005/09/fresh.jpg"
    fresh.parent.mkdir(parents=True)
    fresh.write_bytes(b"x")  # a write that may still be committing
    out = io.StringIO()
    call_command("attachments_sweep", stdout=out)
    assert "已删除 0 个" in out.getvalue()
    assert fresh.exists()

"""Test data of citizens, built through the services on top of the test world
(thuocdo.core.testing.build_world): a procedure of Cầu Giấy, a dossier, feedback cases."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from thuocdo.citizens import services
from thuocdo.citizens.models import Dossier, Feedback, Procedure

#: a fixed access key for test feedback and dossiers, so lookups can be written down
KEY = "TESTKEY234"


def procedure(world, code: str = "P-CG"):
    found = Procedure.objects.filter(code=code).first()
    if found is not None:
        return found
    if code == "P-BD":
        steps = [("Tiếp nhận", world.units["HN.BD.VP"], 1), ("Giải quyết", world.units["HN.BD"], 3)]
    else:
        steps = [("Tiếp nhận hồ sơ", world.units["HN.CG.VP"], 1),
                 ("Thẩm định", world.units["HN.CG.VP"], 3),
                 ("Ký duyệt", world.units["HN.CG"], 1)]
    return services.procedure_create(code=code, name="Cấp giấy phép xây dựng nhà ở riêng lẻ",
                                     processing_days=7, steps=steps)


def dossier(world, code: str = "D-CG", *, received_at: dt.datetime | None = None,
            channel: str = "counter"):
    found = Dossier.objects.filter(code=code).first()
    if found is not None:
        return found
    if code.startswith("D-BD"):
        proc, actor = procedure(world, "P-BD"), world.officials["BD.STAFF"]
    else:
        proc, actor = procedure(world), world.officials["CG.STAFF"]
    made, _key = services.dossier_receive(
        user=None, actor=actor, procedure=proc, applicant="Nguyễn Thị Hoa",
        applicant_contact="0912345678", channel=channel, received_at=received_at, code=code,
        access_key=KEY)
    return made


def feedback(world, code: str = "PA-CG", *, unit: str = "HN.CG.VP", kind: str = "feedback",
             official: str | None = None, dossier=None,
             submitted_at: dt.datetime | None = None, contact_name: str = ""):
    found = Feedback.objects.filter(code=code).first()
    if found is not None:
        return found
    made, _key = services.feedback_submit(
        kind=kind, category="procedure", unit=world.units[unit],
        text="Hồ sơ của tôi nộp đã lâu mà chưa có kết quả.", contact="0987654321",
        contact_name=contact_name,
        official=world.officials[official] if official else None,
        dossier=dossier, code=code, access_key=KEY, now=submitted_at or timezone.now())
    return made

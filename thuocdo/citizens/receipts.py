"""A new access key, shown once on a receipt reached by a redirect (POST/redirect/GET).

The key a service just issued waits in the session (server-side) under a slot, with the code
it opens; the receipt's address holds only the code. The receipt page takes the key out of
the session when it shows it, so reloading the receipt never sends the form again and never
shows the key a second time, and the key never appears in an address, a log or the
browser's history. Staff receipts of dossiers and of feedback (a key issued again) and the
public receipt of feedback use it, each with its own slot.
"""

from __future__ import annotations

from django.shortcuts import redirect

#: the staff member's new dossier key (on receipt, or issued again)
DOSSIER_SLOT = "citizens:dossier-key"
#: the citizen's new feedback key (the public portal; anonymous sessions)
FEEDBACK_SLOT = "citizens:feedback-key"
#: the staff member's new feedback key (issued again, for a citizen who lost theirs)
STAFF_FEEDBACK_SLOT = "citizens:staff-feedback-key"


def redirect_to_receipt(request, *, slot: str, code: str, key: str, url_name: str):
    """Keep `key` for the receipt of `code`, and redirect to it (`url_name`, with `code`)."""
    request.session[slot] = {"code": code, "key": key}
    return redirect(url_name, code=code)


def take_key(request, *, slot: str, code: str) -> str:
    """The key kept for the receipt of `code`, taken out of the session; "" when there is
    none (a reload, another browser, another code's receipt)."""
    kept = request.session.get(slot) or {}
    if kept.get("code") != code:
        return ""
    del request.session[slot]
    return kept.get("key", "")

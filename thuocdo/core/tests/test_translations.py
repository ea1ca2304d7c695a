"""The Vietnamese catalogue (thuocdo/locale/vi/LC_MESSAGES): complete, compiled, and used.

No gettext tools are needed here: the .po file is read by a small parser below and the
committed .mo by the standard library's `gettext`, so a forgotten `compilemessages` (or a
machine without GNU gettext) shows up as a failing test, not as English on a page.

After changing a msgid or a translation:

    cd thuocdo && DJANGO_SETTINGS_MODULE=thuocdo.config.settings.test \
        python ../manage.py makemessages -l vi --ignore "*/tests/*" --ignore "*/migrations/*" \
        --no-obsolete
    (translate every new or fuzzy entry, then)
    python ../manage.py compilemessages -l vi
"""

from __future__ import annotations

import gettext
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

LC_MESSAGES = Path(settings.LOCALE_PATHS[0]) / "vi" / "LC_MESSAGES"
PO = LC_MESSAGES / "django.po"
MO = LC_MESSAGES / "django.mo"

# %(name)s / %(count)d, bare %s / %d, {name}, and HTML tags must survive translation.
PLACEHOLDER = re.compile(r"%\(\w+\)[sdfr]|%[sdfr]|\{\w*\}|</?\w+[^>]*>")


# -- a small .po reader --------------------------------------------------------------------------


@dataclass
class Entry:
    line: int
    msgctxt: str | None = None
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)  # 0 for a plain msgstr
    flags: set[str] = field(default_factory=set)

    @property
    def key(self) -> str:
        """The key of the entry in a compiled catalogue (context, EOT, msgid)."""
        return f"{self.msgctxt}\x04{self.msgid}" if self.msgctxt is not None else self.msgid


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "a": "\a", "b": "\b",
            "f": "\f", "v": "\v"}


def _unquote(text: str, where: str) -> str:
    text = text.strip()
    assert len(text) >= 2 and text[0] == text[-1] == '"', f"{where}: not a quoted string"
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), text[1:-1])


def read_po(path: Path) -> list[Entry]:
    """Every entry of a .po file, the header (msgid "") included; obsolete (#~) ones are
    skipped. Strings may run over several lines ("..." continuation lines)."""
    entries: list[Entry] = []
    current: Entry | None = None
    flags: set[str] = set()
    target: tuple[str, int] | None = None  # the keyword a continuation line extends
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        where = f"{path.name}:{number}"
        if not line or line.startswith("#~"):
            continue
        if line.startswith("#,"):
            flags |= {flag.strip() for flag in line[2:].split(",") if flag.strip()}
            continue
        if line.startswith("#"):
            continue
        if line.startswith('"'):
            assert current is not None and target is not None, f"{where}: stray string"
            text = _unquote(line, where)
            keyword, index = target
            if keyword == "msgstr":
                current.msgstr[index] += text
            else:
                setattr(current, keyword, (getattr(current, keyword) or "") + text)
            continue
        match = re.match(r"(msgctxt|msgid_plural|msgid|msgstr)(?:\[(\d+)\])?\s+(\".*\")$", line)
        assert match, f"{where}: cannot read {raw!r}"
        keyword, index, text = match.group(1), int(match.group(2) or 0), match.group(3)
        if keyword == "msgctxt" or (keyword == "msgid" and (current is None
                                                           or current.msgstr)):
            current = Entry(line=number, flags=flags)
            entries.append(current)
            flags = set()
        assert current is not None, f"{where}: {keyword} before msgid"
        if keyword == "msgstr":
            current.msgstr[index] = _unquote(text, where)
        else:
            setattr(current, keyword, _unquote(text, where))
        target = (keyword, index)
    return entries


@pytest.fixture(scope="module")
def entries() -> list[Entry]:
    found = read_po(PO)
    assert found and found[0].msgid == "", "the catalogue starts with its header"
    return found


@pytest.fixture(scope="module")
def compiled() -> gettext.GNUTranslations:
    with MO.open("rb") as handle:
        return gettext.GNUTranslations(handle)


# -- the .po file --------------------------------------------------------------------------------


def test_the_header_says_vietnamese_utf8_and_one_plural_form(entries):
    header = entries[0].msgstr[0]
    assert "fuzzy" not in entries[0].flags
    assert "Language: vi\n" in header
    assert "Content-Type: text/plain; charset=UTF-8\n" in header
    assert "Plural-Forms: nplurals=1; plural=0;\n" in header


def test_every_entry_is_translated_and_none_is_fuzzy(entries):
    messages = entries[1:]
    assert len(messages) > 100
    fuzzy = [e.msgid for e in messages if "fuzzy" in e.flags]
    assert fuzzy == [], f"fuzzy entries (check, then remove the flag): {fuzzy}"
    empty = [e.msgid for e in messages if not e.msgstr or not all(e.msgstr.values())]
    assert empty == [], f"untranslated entries: {empty}"


def test_plural_entries_have_the_one_vietnamese_form(entries):
    plurals = [e for e in entries if e.msgid_plural is not None]
    assert plurals
    for entry in plurals:
        assert sorted(entry.msgstr) == [0], f"line {entry.line}: only msgstr[0] (nplurals=1)"
    for entry in entries:
        if entry.msgid_plural is None:
            assert sorted(entry.msgstr) == [0], f"line {entry.line}: a plain msgstr"


def test_translations_keep_every_placeholder(entries):
    wrong = []
    for entry in entries[1:]:
        wanted = sorted(PLACEHOLDER.findall(entry.msgid))
        for text in entry.msgstr.values():
            if sorted(PLACEHOLDER.findall(text)) != wanted:
                wrong.append((entry.line, entry.msgid, text))
    assert wrong == []


def test_msgids_are_unique(entries):
    keys = [e.key for e in entries]
    assert len(keys) == len(set(keys))


# -- the compiled .mo ----------------------------------------------------------------------------


def test_the_mo_file_translates_the_key_strings(compiled):
    assert compiled.gettext("E-mail or official code") == "E-mail hoặc mã cán bộ"
    assert compiled.gettext("Log in") == "Đăng nhập"
    assert compiled.gettext("Log out") == "Đăng xuất"
    assert compiled.gettext("Password") == "Mật khẩu"
    assert compiled.gettext("Units") == "Đơn vị"
    assert compiled.gettext("Officials") == "Cán bộ"
    one = compiled.ngettext("%(counter)s official", "%(counter)s officials", 1)
    many = compiled.ngettext("%(counter)s official", "%(counter)s officials", 7)
    assert one == many == "%(counter)s cán bộ"


def test_the_mo_file_is_compiled_from_this_po_file(entries, compiled):
    """Same msgids and same translations: an edit of the .po without compilemessages fails."""
    from_po: dict[object, str] = {}
    for entry in entries[1:]:  # untranslated entries are not compiled (and fail above)
        if entry.msgid_plural is None:
            if entry.msgstr[0]:
                from_po[entry.key] = entry.msgstr[0]
        else:
            for index, text in entry.msgstr.items():
                if text:
                    from_po[(entry.key, index)] = text
    from_mo = {key: text for key, text in compiled._catalog.items() if key != ""}
    assert set(from_mo) - set(from_po) == set(), "in the .mo only: run makemessages/compile"
    assert set(from_po) - set(from_mo) == set(), "in the .po only: run compilemessages"
    stale = sorted(str(key) for key in from_po if from_po[key] != from_mo[key])
    assert stale == [], "translations changed since the .mo was compiled: run compilemessages"
    assert compiled.info().get("language") == "vi"


def test_django_uses_the_catalogue():
    with translation.override("vi"):
        assert translation.gettext("Officials") == "Cán bộ"
        assert translation.gettext("E-mail or official code") == "E-mail hoặc mã cán bộ"
    with translation.override("en"):
        assert translation.gettext("Officials") == "Officials"


def test_the_admin_texts_django_leaves_in_english_read_in_vietnamese():
    """Django's own Vietnamese catalogue misses some texts of the admin and the
    authentication forms (core.django_strings): the project's translates them; and the
    inline headings of the admin, once written with an alias `makemessages` did not read,
    are in it too."""
    from thuocdo.core.django_strings import DJANGO_ADMIN_STRINGS, PASSWORD_TOO_SHORT

    with translation.override("vi"):
        english = [text for text in DJANGO_ADMIN_STRINGS if translation.gettext(text) == text]
        assert english == []
        assert translation.gettext("Show counts") == "Hiện số lượng"
        assert translation.ngettext("entry", "entries", 1) == "mục"
        assert str(PASSWORD_TOO_SHORT % {"min_length": 12}).startswith("Mật khẩu này quá ngắn")
        assert translation.gettext("scope grants (set an end date to end one)") != \
            "scope grants (set an end date to end one)"


# -- rendered pages ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_login_page_is_vietnamese_by_default(world, client, settings):
    settings.LANGUAGE_CODE = "vi"
    page = client.get(reverse("accounts:login")).content.decode()
    assert '<html lang="vi">' in page
    assert "Đăng nhập" in page
    assert "E-mail hoặc mã cán bộ" in page and "Mật khẩu" in page
    assert "Log in" not in page


@pytest.mark.django_db
def test_the_login_page_is_english_with_the_language_cookie(world, client, settings):
    settings.LANGUAGE_CODE = "vi"
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(reverse("accounts:login")).content.decode()
    assert '<html lang="en">' in page
    assert "Log in" in page and "E-mail or official code" in page and "Password" in page
    assert "Đăng nhập" not in page


@pytest.mark.django_db
def test_the_home_page_of_an_official_is_vietnamese(world, client_for, settings):
    settings.LANGUAGE_CODE = "vi"
    page = client_for(world.user("staff")).get(reverse("core:home")).content.decode()
    assert '<html lang="vi">' in page
    for text in ("Trang chủ", "Đơn vị", "Cán bộ", "Đăng xuất", "Nơi công tác", "Chuyên viên"):
        assert text in page, text


@pytest.mark.django_db
def test_the_admin_speaks_vietnamese_for_third_party_apps_too(world, client_for, settings):
    """Axes, the background jobs' table and DRF's tokens have Vietnamese names
    (core/third_party.py); the admin's history button reads as a change history, while an
    official's page keeps "Quá trình công tác" for the positions held."""
    settings.LANGUAGE_CODE = "vi"
    client = client_for(world.user("admin"))
    index = client.get(reverse("admin:index")).content.decode()
    for text in ("Bảo vệ đăng nhập", "Tác vụ chạy nền", "Các lượt đăng nhập sai",
                 "Kết quả tác vụ nền"):
        assert text in index, text
    # DRF's keys are not in the admin (accounts/admin.py): each user asks for their own
    for text in ("Axes", "Tasks Database Backend", "Auth Token", "Mã xác thực API"):
        assert text not in index, text
    official = world.officials["CG.STAFF"]
    change = client.get(reverse("admin:org_official_change", args=[official.pk]))
    assert "Lịch sử thay đổi" in change.content.decode()
    page = client.get(reverse("org:official_detail", kwargs={"code": official.code}))
    assert "Quá trình công tác" in page.content.decode()


@pytest.mark.django_db
def test_the_admin_refuses_a_weak_password_in_vietnamese(world, client_for, settings):
    """Django 5.2's password validators speak Vietnamese in the admin's add-user page: the
    minimum length (a msgid Django 5.2 changed, translated in our catalogue through
    core/third_party.py), a common password, an all-digit one, one too like the e-mail."""
    settings.LANGUAGE_CODE = "vi"
    client = client_for(world.user("admin"))

    def refusal(email: str, password: str) -> str:
        response = client.post(reverse("admin:accounts_user_add"), {
            "email": email, "full_name": "", "official": "", "password1": password,
            "password2": password})
        assert response.status_code == 200
        return " ".join(response.context["adminform"].form.errors["password2"])

    errors = refusal("weak@example.vn", "123")
    assert "Mật khẩu này quá ngắn" in errors and "8 ký tự" in errors, errors
    assert "Mật khẩu này quá phổ biến." in errors
    assert "Mật khẩu này hoàn toàn là số." in errors
    assert "This password" not in errors
    errors = refusal("nguyenvanduc@example.vn", "nguyenvanduc")
    assert "Mật khẩu quá giống với" in errors, errors

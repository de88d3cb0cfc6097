"""The ledger pages: entries with their hashes, "verify now", signed checkpoints and proofs that an
auditor can check offline with nothing but the public key."""

import base64
import json

import pytest
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from django.db import connection
from django.urls import reverse

from sharing import checkpoints, ledger, merkle
from sharing.models import LedgerEntry
from tests.factories import make_resource

from .utils import append_entries

pytestmark = pytest.mark.django_db

LEDGER = "/audit/ledger/"
VERIFY = "/audit/ledger/verify/"


@pytest.fixture
def english(auditor_client):
    auditor_client.cookies["django_language"] = "en"
    return auditor_client


@pytest.fixture
def resource(dept_a, liaison_a):
    return make_resource(dept_a, liaison_a)


@pytest.fixture
def entries(resource, liaison_a, officer):
    return append_entries(7, [resource, resource.department], [liaison_a, officer])


def tamper(seq, sql, params):
    """What a DBA could do by hand: on PostgreSQL the append-only triggers must be disabled first."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE sharing_ledgerentry DISABLE TRIGGER USER")
        cursor.execute(sql, [*params, seq])
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE sharing_ledgerentry ENABLE TRIGGER USER")


def rewrite_chain_from(seq, new_reason):
    """Change one payload and recompute every later hash, so that the chain alone still holds."""
    prev = LedgerEntry.objects.get(seq=seq - 1).entry_hash if seq > 1 else ledger.GENESIS_HASH
    for entry in LedgerEntry.objects.filter(seq__gte=seq).order_by("seq"):
        payload = entry.payload.replace(f'"第{seq - 1}步"', f'"{new_reason}"') if entry.seq == seq else entry.payload
        new_hash = ledger.chain_hash(prev, payload)
        tamper(
            entry.seq,
            "UPDATE sharing_ledgerentry SET payload=%s, prev_hash=%s, entry_hash=%s WHERE seq=%s",
            [payload, prev, new_hash],
        )
        prev = new_hash


# --- The list -------------------------------------------------------------------------------


def test_ledger_lists_entries_newest_first_with_hash_and_object(english, entries, resource):
    response = english.get(LEDGER)

    shown = response.context["entries"]
    assert [e.seq for e in shown] == [7, 6, 5, 4, 3, 2, 1]
    body = response.content.decode()
    assert entries[-1].entry_hash[:16] in body
    assert reverse("audit:object_history", args=["catalog.dataresource", resource.pk]) in body
    assert "7 entries" in body


def test_ledger_pages_by_sequence_number(auditor_client, resource, liaison_a):
    append_entries(60, [resource], [liaison_a])

    first = auditor_client.get(LEDGER)
    second = auditor_client.get(LEDGER, {"before": first.context["older"]})

    assert [e.seq for e in first.context["entries"]] == list(range(60, 10, -1))
    assert [e.seq for e in second.context["entries"]] == list(range(10, 0, -1))
    assert second.context["older"] is None


def test_ledger_filters_by_object(auditor_client, entries, resource):
    response = auditor_client.get(LEDGER, {"object_type": "catalog.dataresource", "object_id": resource.pk})
    assert {(e.object_type, e.object_id) for e in response.context["entries"]} == {
        ("catalog.dataresource", str(resource.pk))
    }


def test_empty_ledger_says_so(english):
    assert "The ledger is empty" in english.get(LEDGER).content.decode()


def test_entry_page_shows_the_canonical_payload_and_a_matching_hash(english, entries):
    response = english.get(reverse("audit:ledger_entry", args=[3]))

    assert response.context["hash_ok"] is True
    body = response.content.decode()
    assert entries[2].entry_hash in body and entries[2].prev_hash in body
    assert "第2步" in body


def test_entry_page_flags_an_entry_whose_hash_does_not_match(english, entries):
    tamper(3, "UPDATE sharing_ledgerentry SET payload=%s WHERE seq=%s", [entries[2].payload.replace("第2步", "无事")])

    response = english.get(reverse("audit:ledger_entry", args=[3]))

    assert response.context["hash_ok"] is False


def test_unknown_entry_is_404(auditor_client, entries):
    assert auditor_client.get(reverse("audit:ledger_entry", args=[99])).status_code == 404


# --- Verify now -----------------------------------------------------------------------------


def test_verify_now_reports_an_intact_ledger(english, entries, signing_key):
    checkpoints.checkpoint_create()

    response = english.post(VERIFY)

    assert response.status_code == 200
    assert response.context["verification"]["ok"] is True
    assert "Intact: 7 entries verified." in response.content.decode()


def test_verify_now_names_the_first_broken_entry(english, entries, signing_key):
    tamper(4, "UPDATE sharing_ledgerentry SET payload=%s WHERE seq=%s", [entries[3].payload.replace("第3步", "无事")])

    response = english.post(VERIFY)

    verification = response.context["verification"]
    assert (verification["ok"], verification["broken_seq"]) == (False, 4)
    body = response.content.decode()
    assert "Broken at entry 4" in body and "Its hash does not match its content" in body


def test_verify_now_catches_a_rewritten_chain_with_the_checkpoint(english, entries, signing_key):
    checkpoints.checkpoint_create()
    rewrite_chain_from(3, "无事发生")

    response = english.post(VERIFY)

    verification = response.context["verification"]
    assert (verification["ok"], verification["checkpoint_size"]) == (False, 7)
    assert "The checkpoint over the first 7 entries fails" in response.content.decode()


def test_verify_now_stores_nothing(english, entries, signing_key):
    before = list(LedgerEntry.objects.values_list("seq", "entry_hash"))
    english.post(VERIFY)
    assert list(LedgerEntry.objects.values_list("seq", "entry_hash")) == before


def test_verify_now_is_a_post(auditor_client, entries):
    assert auditor_client.get(VERIFY).status_code == 405


def test_without_a_signing_key_the_pages_work_and_say_so(english, entries, no_signing_key):
    page = english.get(LEDGER)
    verified = english.post(VERIFY)
    key = english.get(reverse("audit:public_key"))

    assert page.status_code == 200 and "No signing key is configured" in page.content.decode()
    assert verified.context["verification"]["ok"] is True
    assert "signed checkpoints were not checked" in verified.content.decode()
    assert key.status_code == 404 and "No ledger signing key is configured" in key.content.decode()
    assert english.get(reverse("audit:checkpoint_list")).status_code == 200
    assert english.get(reverse("audit:ledger_entry", args=[1])).status_code == 200


# --- Checkpoints and proofs -----------------------------------------------------------------


def download_public_key(client):
    response = client.get(reverse("audit:public_key"))
    assert response.status_code == 200
    return load_pem_public_key(response.content)


def test_checkpoint_json_verifies_with_the_public_key(auditor_client, entries, signing_key):
    checkpoints.checkpoint_create()

    document = auditor_client.get(reverse("audit:checkpoint_json", args=[7])).json()
    public_key = download_public_key(auditor_client)

    signed = ledger.canonical_json({k: document[k] for k in ("log", "tree_size", "root_hash", "signed_at")})
    public_key.verify(base64.b64decode(document["signature"]), signed.encode())  # raises if forged
    assert document["tree_size"] == 7


def test_checkpoint_json_is_a_download(auditor_client, entries, signing_key):
    checkpoints.checkpoint_create()
    response = auditor_client.get(reverse("audit:checkpoint_json", args=[7]))
    assert response["Content-Disposition"] == 'attachment; filename="govdata-ledger-checkpoint-7.json"'


def test_unknown_checkpoint_is_404(auditor_client, entries, signing_key):
    assert auditor_client.get(reverse("audit:checkpoint_json", args=[3])).status_code == 404


@pytest.mark.parametrize("seq", [1, 4, 7])
def test_inclusion_proof_json_verifies_against_the_signed_root(auditor_client, entries, signing_key, seq):
    checkpoints.checkpoint_create()

    proof = auditor_client.get(reverse("audit:ledger_entry_proof", args=[seq])).json()

    leaf = merkle.leaf_hash(bytes.fromhex(entries[seq - 1].entry_hash))
    assert proof["leaf_hash"] == leaf.hex()
    assert merkle.verify_inclusion(
        leaf, seq - 1, proof["tree_size"], [bytes.fromhex(p) for p in proof["proof"]], bytes.fromhex(proof["root_hash"])
    )
    assert proof["checkpoint"]["root_hash"] == proof["root_hash"]


def test_inclusion_proof_uses_the_newest_checkpoint_covering_the_entry(auditor_client, entries, signing_key, resource):
    checkpoints.checkpoint_create()
    append_entries(3, [resource], [None])
    checkpoints.checkpoint_create()

    response = auditor_client.get(reverse("audit:ledger_entry", args=[2]))

    assert response.context["checkpoint"].tree_size == 10
    assert response.context["proof_ok"] is True


def test_entry_without_a_covering_checkpoint_has_a_note_and_no_proof(english, entries, signing_key, resource):
    checkpoints.checkpoint_create()
    (newest,) = append_entries(1, [resource], [None])

    page = english.get(reverse("audit:ledger_entry", args=[newest.seq]))
    proof = english.get(reverse("audit:ledger_entry_proof", args=[newest.seq]))

    assert "No signed checkpoint covers this entry yet" in page.content.decode()
    assert proof.status_code == 404


def test_consistency_proof_between_checkpoints_verifies(auditor_client, entries, signing_key, resource):
    old = checkpoints.checkpoint_create()
    append_entries(5, [resource], [None])
    new = checkpoints.checkpoint_create()

    proof = auditor_client.get(reverse("audit:consistency_json", args=[old.tree_size, new.tree_size])).json()

    assert merkle.verify_consistency(
        old.tree_size,
        new.tree_size,
        bytes.fromhex(old.root_hash),
        bytes.fromhex(new.root_hash),
        [bytes.fromhex(p) for p in proof["proof"]],
    )


def test_checkpoint_list_links_each_download(auditor_client, entries, signing_key, resource):
    checkpoints.checkpoint_create()
    append_entries(2, [resource], [None])
    checkpoints.checkpoint_create()

    body = auditor_client.get(reverse("audit:checkpoint_list")).content.decode()

    assert reverse("audit:checkpoint_json", args=[9]) in body
    assert reverse("audit:consistency_json", args=[7, 9]) in body


def test_ledger_page_shows_the_key_id_and_checkpoints(auditor_client, entries, signing_key):
    checkpoints.checkpoint_create()

    body = auditor_client.get(LEDGER).content.decode()

    assert checkpoints.key_id(signing_key) in body
    assert reverse("audit:checkpoint_json", args=[7]) in body


def test_proof_document_is_valid_json_with_the_checkpoint_signature(auditor_client, entries, signing_key):
    checkpoints.checkpoint_create()
    raw = auditor_client.get(reverse("audit:ledger_entry_proof", args=[2])).content
    assert json.loads(raw)["checkpoint"]["signature"]


def test_pages_work_when_the_key_setting_cannot_be_read(english, entries, settings, tmp_path):
    # django-environ's Path (what env.path() gives) is not a pathlib.Path: loading the key fails.
    import environ

    settings.LEDGER_SIGNING_KEY = ""
    settings.LEDGER_SIGNING_KEY_FILE = environ.Path(str(tmp_path / "ledger.pem"))

    assert english.get(LEDGER).status_code == 200
    assert english.post(VERIFY).context["verification"]["no_key"] is True
    assert english.get(reverse("audit:public_key")).status_code == 404

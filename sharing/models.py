"""Who may use what, and proof of every step. For now: the tamper-evident ledger."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class LedgerEntry(models.Model):
    """One entry of the append-only, hash-chained evidence ledger (存证账本).

    `payload` is the canonical JSON that was hashed, stored as text so that the exact bytes are
    kept; `entry_hash = SHA-256(prev_hash || payload)`. Only sharing/ledger.py writes this table,
    and on PostgreSQL a trigger refuses UPDATE, DELETE and TRUNCATE on it.
    """

    seq = models.BigIntegerField(_("sequence number"), primary_key=True)
    recorded_at = models.DateTimeField(_("recorded at"))
    action = models.CharField(_("action"), max_length=64)
    object_type = models.CharField(_("object type"), max_length=64)
    object_id = models.CharField(_("object id"), max_length=64)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
    )
    payload = models.TextField(_("canonical payload"))
    prev_hash = models.CharField(_("previous hash"), max_length=64)
    entry_hash = models.CharField(_("entry hash"), max_length=64)

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        ordering = ["seq"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="ledger_object")]

    def __str__(self):
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id}"


class LedgerCheckpoint(models.Model):
    """A signed tree head: the RFC 6962 Merkle root over the first `tree_size` ledger entries.

    An auditor who keeps a checkpoint (JSON with the signature) can later prove that no entry it
    covers was changed, even by someone who rewrote the whole hash chain behind the triggers.
    """

    tree_size = models.BigIntegerField(_("entries covered"), unique=True)
    root_hash = models.CharField(_("Merkle root"), max_length=64)
    signed_at = models.DateTimeField(_("signed at"))
    key_id = models.CharField(_("key id"), max_length=32)
    signature = models.CharField(_("signature"), max_length=128)

    class Meta:
        verbose_name = _("ledger checkpoint")
        verbose_name_plural = _("ledger checkpoints")
        ordering = ["tree_size"]

    def __str__(self):
        return f"#{self.tree_size} {self.root_hash[:12]}…"

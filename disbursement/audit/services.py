from disbursement.audit.models import AuditEvent


def audit_record(*, actor, action: str, obj, region_code: str | None = None, **detail) -> AuditEvent:
    """Append one audit event. `detail` must never hold a whole personal number."""
    return AuditEvent.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        region_id=region_code,
        detail=detail,
    )

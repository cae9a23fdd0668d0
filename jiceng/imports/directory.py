"""The organisations the rows of an import may name, read once per check."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from jiceng.core.scoping import Action
from jiceng.orgs.models import Organization

from . import cleaning
from .cleaning import CellError

if TYPE_CHECKING:
    from jiceng.accounts.models import User


@dataclass(frozen=True)
class OrgRef:
    id: int
    path: str


@dataclass
class OrgDirectory:
    """The organisations rows may name, by code and by unique Simplified name: the active units
    of the import's subtree that the importer may change."""

    by_code: dict[str, OrgRef] = field(default_factory=dict)
    by_name: dict[str, OrgRef | None] = field(default_factory=dict)  # None: ambiguous
    # An import into one branch: a row that names no organisation belongs to it.
    default: OrgRef | None = None

    @staticmethod
    def is_leaf(root: Organization) -> bool:
        return not Organization.objects.filter(
            path__startswith=root.path, depth=root.depth + 1, abolished_on__isnull=True
        ).exists()

    @classmethod
    def for_subtree(cls, user: User, root: Organization) -> OrgDirectory:
        d = cls()
        rows = (
            Organization.objects.visible_to(user, Action.CHANGE)
            .filter(path__startswith=root.path, abolished_on__isnull=True)
            .values_list("id", "path", "code", "name_simplified")
        )
        for pk, path, code, name in rows.iterator(chunk_size=5000):
            ref = OrgRef(pk, path)
            d.by_code[code] = ref
            d.by_name[name] = None if name in d.by_name else ref
        if cls.is_leaf(root) and root.code in d.by_code:
            d.default = d.by_code[root.code]
        return d

    def find(self, value: Any) -> OrgRef:
        raw = cleaning.text(value)
        if not raw and self.default is not None:
            return self.default
        if not raw:
            raise CellError("缺少党组织")
        ref = self.by_code.get(raw) or self.by_code.get(raw.upper())
        if ref:
            return ref
        name = cleaning.name_key(raw)
        if name in self.by_name:
            found = self.by_name[name]
            if found is None:
                raise CellError(f"有多个党组织名为“{name}”，请改填组织代码")
            return found
        raise CellError(f"找不到党组织“{raw}”（请填写组织代码或全称），或它不在本次导入范围内")

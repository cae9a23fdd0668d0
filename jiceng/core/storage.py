"""Static files in production: WhiteNoise's compressed storage with hashed names (cached for
ever by browsers), minus the rewriting of source-map comments. The vendored libraries
(Bootstrap) name ``.map`` files that are not shipped (they serve the libraries' own
developers); Django's post-processing would fail on the missing file."""

from __future__ import annotations

from django.contrib.staticfiles.storage import ManifestStaticFilesStorage
from whitenoise.storage import CompressedManifestStaticFilesStorage


def _without_source_maps(patterns: tuple) -> tuple:
    def keep(pattern: object) -> bool:
        text = pattern[0] if isinstance(pattern, tuple) else pattern
        return "sourceMappingURL" not in str(text)

    return tuple((ext, tuple(p for p in pats if keep(p))) for ext, pats in patterns)


class StaticStorage(CompressedManifestStaticFilesStorage):
    patterns = _without_source_maps(ManifestStaticFilesStorage.patterns)

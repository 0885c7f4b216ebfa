"""Importers that turn ``../shared/data`` source files into packaged tables.

Each importer module exposes ``build(ctx: BuildContext) -> dict[str, pyarrow.Table]``
and reads every source file through ``ctx`` so its checksum lands in the manifest.
"""

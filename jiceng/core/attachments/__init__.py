"""Photos and files attached to records (campaign evidence, four-ones items, activities,
lost-contact visits …).

An app makes a model attachable by registering it (``owners.register`` in its ``ready()``)
with the rule that says who may add or remove files: the same function its own services ask
before changing the record. Files are stored outside the web root (``ATTACHMENT_ROOT``) under
generated names, and served only by ``views.download`` after the record itself has been found
through its model's ``visible_to``: a file is exactly as visible as its record.
"""

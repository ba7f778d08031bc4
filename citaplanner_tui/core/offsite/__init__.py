"""Off-site copies of the backups on S3-compatible object storage (issue 11).

``targets`` (the ``[[offsite]]`` config, no network), ``client`` (boto3, errors in one
sentence), ``remote`` (what a target holds), ``upload``/``push``, ``verify``, ``pull``,
``prune``, ``state`` (last push per target) and ``report`` (per-target facts and health,
for ``status`` and the console).
"""

"""Tooling around the dialog runtime: the `ivr match` and `ivr kb` commands, evaluation on
labelled files, knowledge-base suggestions and lint, and training the learned department
model. It is kept apart so that what serves a call or `POST /api/route` is what stays in
`dialog/`.

The rule: this package may import the runtime modules of `dialog`, and no module of `dialog`
outside this package imports `dialog.tools` (nor does the server's runtime in `ivr`; only its
command line does)."""

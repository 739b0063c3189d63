"""``python -m plot_palette.local.local_worker``: the worker as the local ECS runner starts it.

On Fargate the worker's calls carry its task role's credentials and IAM checks them. Locally the
runner starts this module instead of ``python -m plot_palette.worker``: it makes the process act
as the task role (``PLOT_PALETTE_IAM``, see ``plot_palette.local.iam_enforcement``) and, when a
test armed faults for this task, injects them (``PLOT_PALETTE_FAULTS``), then runs the real
entrypoint. Production code never reads either variable.
"""

from __future__ import annotations

import sys

from plot_palette.local.faults import install_from_env as install_faults
from plot_palette.local.iam_enforcement import install_from_env as install_iam


def main() -> int:
    install_iam()
    install_faults()
    from plot_palette.worker.__main__ import main as worker_main

    return worker_main()


if __name__ == "__main__":
    sys.exit(main())

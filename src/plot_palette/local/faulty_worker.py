"""``python -m plot_palette.local.faulty_worker``: the worker with injected AWS faults armed.

The local ECS runner starts this instead of ``python -m plot_palette.worker`` only when a test
armed faults for the next task (``EcsRunner.arm_faults``), so the real entrypoint never reads
the fault plan from its environment.
"""

from __future__ import annotations

import sys

from plot_palette.local.faults import install_from_env


def main() -> int:
    install_from_env()
    from plot_palette.worker.__main__ import main as worker_main

    return worker_main()


if __name__ == "__main__":
    sys.exit(main())

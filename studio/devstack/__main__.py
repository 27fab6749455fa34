from studio.devstack.cli import main

raise SystemExit(main())

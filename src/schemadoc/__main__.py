from schemadoc.cli import main

raise SystemExit(main())

from noodlebowl.cli import main

raise SystemExit(main())

from telemetry_capture.cli import main

raise SystemExit(main())

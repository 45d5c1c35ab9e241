"""`python -m local.admin ...`"""

from local.admin import main

raise SystemExit(main())

// Package dev is the lab: what builds, measures and tests the product but is
// never part of it. harness (moto, the fake token service, the fault proxy),
// testreport (make test's runner), demo (make demo), bench (make bench) and
// latency (make bench-latency) live under it. No product package imports
// anything under internal/dev except from its tests; TestLabStaysOutOfTheProduct
// holds that.
package dev

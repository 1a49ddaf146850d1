// The core library's tests live on main (uncommitted when the inspect branch started).
// This file only gives the EveringTests target a source so the package resolves on this
// branch; delete it when merging main's Tests/EveringTests.

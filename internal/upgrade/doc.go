// Package upgrade upgrades shoal itself on the nodes, driven by Plan
// resources (upgrade.shoal.io/v1), with no pods:
//
//   - the Controller (in the server) picks the nodes of each Plan —
//     servers first, at most spec.concurrency at a time, inside the
//     maintenance window — cordons them and sets their target version in
//     node annotations; it reports each node's phase in the Plan's status
//     and stops at the first node that rolled back;
//   - the Upgrader (in every node's shoal) sees its target, fetches the
//     binary from the server (sha256 checked), keeps the running one as
//     shoal.previous, swaps the new one in atomically, starts a watchdog
//     from the old binary and re-executes itself;
//   - the new shoal counts the upgrade good only when its node is Ready
//     before the deadline; otherwise (or if it exits) the watchdog puts
//     the previous binary back and re-executes it, which reports
//     RolledBack.
//
// Node annotations are the protocol (see the Annotation constants).
package upgrade

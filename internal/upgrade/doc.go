// Package upgrade upgrades shoal itself on the nodes, driven by Plan
// resources (upgrade.shoal.io/v1), with no pods:
//
//   - the Controller (in the server) picks the nodes of each Plan —
//     servers first, at most spec.concurrency at a time, inside the
//     maintenance window — cordons them and gives each its order in the
//     Plan's status (status.nodes[NAME].order: version, file, sha256,
//     deadline), which nodes may read and only the controller writes; it
//     reports each node's phase there too and stops at the first node
//     that rolled back;
//   - the Upgrader (in every node's shoal) sees its target, fetches the
//     binary from the server (sha256 checked) to a fixed file name, keeps
//     the running one as shoal.previous, swaps the new one in atomically,
//     starts a watchdog from the old binary and re-executes itself (the
//     new shoal starts one more, in case the first never ran);
//   - the new shoal counts the upgrade good only when its node is Ready
//     before the deadline; otherwise (or if it exits) the watchdog puts
//     the previous binary back and re-executes it, which reports
//     RolledBack.
//
// Orders go down in the Plan's status; a node reports its version and
// state in its own Node's annotations (see the Ann constants), which is
// all its identity may write (ADR 0011).
package upgrade

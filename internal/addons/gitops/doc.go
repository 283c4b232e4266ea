// Package gitops is the pull side of GitOps, built in: GitRepo resources
// (fleet.shoal.io/v1, Fleet's field names) name a git repository, a
// branch or revision, paths and targets. The controller fetches the
// repository with go-git (https, ssh, git or a local path; no git
// command), renders the paths of the wanted commit — plain YAML files
// here — and, when this cluster's labels (`--cluster-label`, kept in the
// kube-system/shoal-cluster ConfigMap) match the first target, applies
// them with server-side apply under one field manager. A commit is
// applied only when every object passes a server-side dry run, so a bad
// commit leaves the last good state running. Objects a new commit no
// longer has are deleted if GitOps created them (fleet.shoal.io/created)
// and released — annotations removed, object kept — if it adopted them.
// It applies as cluster-admin unless spec.serviceAccountName names an
// account to impersonate; ssh repositories need known_hosts.
package gitops

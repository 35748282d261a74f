// Package hostpath maps what the action's container sees to what the host's
// later steps see: the container's mount table (container path → host
// path), the owner files must be handed to (the runner's user, while the
// container runs as root), and where AWS profile files can go so that later
// steps can read them.
package hostpath

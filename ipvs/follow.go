package ipvs

import "fmt"

// Follow says when a director holds the IPVS table (the ipvs_follow setting).
type Follow string

// Follow modes.
const (
	// FollowMaster installs the table on MASTER and clears it otherwise, so a
	// backup never answers for the VIP by accident.
	FollowMaster Follow = "master"
	// FollowAlways keeps the table on both directors (keepalived's way): the
	// backup is ready the instant it takes the VIP, and synced connections
	// find their service.
	FollowAlways Follow = "always"
)

// ParseFollow parses "master" or "always"; empty means master.
func ParseFollow(s string) (Follow, error) {
	switch Follow(s) {
	case "", FollowMaster:
		return FollowMaster, nil
	case FollowAlways:
		return FollowAlways, nil
	}
	return "", fmt.Errorf("ipvs_follow %q is not master or always", s)
}

// WantTable reports whether a director in the given VRRP role should have its
// table installed (Apply) rather than removed (Clear).
func (f Follow) WantTable(isMaster bool) bool {
	return isMaster || f == FollowAlways
}

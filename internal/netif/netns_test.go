package netif

import "github.com/vigil-ha/vigil/internal/nstest"

// The shared namespace helpers (internal/nstest) under this package's names.
var (
	needNetns    = nstest.Need
	run          = nstest.Run
	newNamespace = nstest.NewNamespace
	inNamespace  = nstest.InNamespace
	newPair      = nstest.NewPair
	addAddr      = nstest.AddAddr
)

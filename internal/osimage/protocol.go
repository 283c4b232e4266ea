package osimage

// What a node's agent reports, in its own Node's annotations. The orders
// go the other way in the OSImage's status (NodeStatus.Order), which nodes
// may read and only the controller may write.
const (
	AnnSlot   = "osimage.shoal.io/slot"   // the booted slot
	AnnDigest = "osimage.shoal.io/digest" // the booted image's digest
	AnnSHA256 = "osimage.shoal.io/sha256" // the booted image's archive sha256
	AnnResult = "osimage.shoal.io/result" // the last result (below)
	AnnFor    = "osimage.shoal.io/for"    // the archive sha256 the result is about
	AnnReason = "osimage.shoal.io/reason" // why it rolled back
)

// Results a node reports.
const (
	ResultInstalling = "Installing"
	ResultRebooting  = "Rebooting"
	ResultVerifying  = "Verifying"
	ResultComplete   = "Complete"
	ResultRolledBack = "RolledBack"
)

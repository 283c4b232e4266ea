package osimage

// Node annotations between the controller and the nodes' agents.
const (
	AnnTarget   = "osimage.shoal.io/target"   // controller: sha256 of the archive to run
	AnnName     = "osimage.shoal.io/name"     // controller: the OSImage
	AnnFile     = "osimage.shoal.io/file"     // controller: archive file on the server
	AnnTries    = "osimage.shoal.io/tries"    // controller: boots the new slot may fail
	AnnDeadline = "osimage.shoal.io/deadline" // controller: seconds to pass the checks

	AnnSlot   = "osimage.shoal.io/slot"   // node: the booted slot
	AnnDigest = "osimage.shoal.io/digest" // node: the booted image's digest
	AnnSHA256 = "osimage.shoal.io/sha256" // node: the booted image's archive sha256
	AnnResult = "osimage.shoal.io/result" // node: the last result (below)
	AnnFor    = "osimage.shoal.io/for"    // node: the archive sha256 the result is about
	AnnReason = "osimage.shoal.io/reason" // node: why it rolled back
)

// Results a node reports.
const (
	ResultInstalling = "Installing"
	ResultRebooting  = "Rebooting"
	ResultVerifying  = "Verifying"
	ResultComplete   = "Complete"
	ResultRolledBack = "RolledBack"
)

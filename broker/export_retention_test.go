package broker

// SetRetentionPage sets how many involvements one read transaction of the
// retention sweep looks at, and returns the function that restores it: for
// a test that the sweep resumes across pages. Not for parallel tests.
func SetRetentionPage(n int) (restore func()) {
	old := retentionPage
	retentionPage = n
	return func() { retentionPage = old }
}

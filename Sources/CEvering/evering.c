/* All of CEvering is static inline in include/; this file gives SwiftPM a source to build. */

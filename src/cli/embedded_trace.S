/* embedded_trace.S - the default demand trace, built into the binary as read-only bytes. */
    .section .rodata
    .global nf_embedded_trace
    .global nf_embedded_trace_end
nf_embedded_trace:
    .incbin NF_EMBEDDED_TRACE_PATH
nf_embedded_trace_end:
    .byte 0
    .section .note.GNU-stack,"",@progbits

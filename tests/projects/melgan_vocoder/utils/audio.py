MAX_WAV_VALUE = 32768.0
N_MELS = 80
HOP_LENGTH = 256


def get_padding(kernel_size, dilation=1):
    return int((kernel_size * dilation - dilation) / 2)

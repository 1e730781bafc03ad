import torch
import torch.nn as nn

import utils.audio as audio
from model.res_stack import ResStack

UPSAMPLE_RATES = (8, 8, 2, 2)


class Generator(nn.Module):
    def __init__(self, mel_channel=audio.N_MELS, ngf=32):
        super(Generator, self).__init__()
        self.mel_channel = mel_channel
        layers = [
            nn.ReflectionPad1d(3),
            nn.utils.weight_norm(nn.Conv1d(mel_channel, ngf * 16, kernel_size=7, stride=1)),
        ]
        channels = ngf * 16
        for rate in UPSAMPLE_RATES:
            layers += [
                nn.LeakyReLU(0.2),
                nn.utils.weight_norm(nn.ConvTranspose1d(channels, channels // 2, kernel_size=rate * 2,
                                                        stride=rate, padding=rate // 2 + rate % 2,
                                                        output_padding=rate % 2)),
                ResStack(channels // 2),
            ]
            channels //= 2
        layers += [
            nn.LeakyReLU(0.2),
            nn.ReflectionPad1d(3),
            nn.utils.weight_norm(nn.Conv1d(channels, 1, kernel_size=7, stride=1)),
            nn.Tanh(),
        ]
        self.generator = nn.Sequential(*layers)

    def forward(self, mel):
        mel = (mel + 5.0) / 5.0
        return self.generator(mel)

    def inference(self, mel):
        audio_out = self.forward(mel).squeeze()
        return audio_out * audio.MAX_WAV_VALUE


if __name__ == "__main__":
    model = Generator()
    x = torch.randn(3, 80, 10)
    y = model(x)
    print(y.shape)
